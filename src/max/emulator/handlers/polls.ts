/**
 * Poll votes: PyMax's SEND_VOTE (304) `{chatId, messageId, pollId, answersIds}` (api/messages
 * vote_poll), answered with the poll's PollState `{total, result[{answerId, voteCount, votes,
 * rate, options}], voterPreviewIds}` (types/domain/attachments/poll.py). The poll's message keeps
 * the same state in its POLL attach, so history (49) and 71 show the votes too.
 *
 * The other members learn of a vote from a 128 with the message marked EDITED (and a new
 * `updateTime`): no public client names a poll-update push (PyMax lists 306 GET_POLL_UPDATES as a
 * request, never a push), and 128 EDITED is what every one of them reads as "this message
 * changed". The voter's other sessions get it too; the voting connection has its answer.
 */
import { ErrorCode, Opcode, PollFlag } from "../../protocol.js";
import { handlers, me } from "../context.js";
import { badPayload, MaxProtocolError } from "../errors.js";
import type { PollVoteRow } from "../store/polls.js";
import { messageWire, requireMember } from "./chat-access.js";
import { requireVisible } from "./message-ops.js";

/** How many recent voters `voterPreviewIds` names. */
const VOTER_PREVIEW = 3;

type StoredPoll = Record<string, unknown> & { answers?: { id: number; text: string }[] };

/** PyMax's `settings` bits; a seed poll (`anonymous` / `multipleChoice`) maps onto them. */
function pollSettings(poll: StoredPoll): number {
  if (typeof poll.settings === "number") return poll.settings;
  return (
    (poll.anonymous === true ? PollFlag.ANONYMOUS : 0) |
    (poll.multipleChoice === true ? PollFlag.MULTISELECT : 0)
  );
}

function pollState(answerIds: number[], votes: PollVoteRow[], anonymous: boolean) {
  const voters = new Set(votes.map((v) => v.user_id));
  const total = voters.size;
  const result = answerIds.map((answerId) => {
    const who = votes.filter((v) => v.answer_id === answerId).map((v) => v.user_id);
    return {
      answerId,
      voteCount: who.length,
      votes: anonymous ? [] : who,
      rate: total === 0 ? 0 : Math.round((who.length * 100) / total),
      options: 0,
    };
  });
  const recent = [...new Set([...votes].reverse().map((v) => v.user_id))].slice(0, VOTER_PREVIEW);
  return { total, result, voterPreviewIds: anonymous ? [] : recent };
}

export const pollHandlers = handlers({
  [Opcode.SEND_VOTE]: {
    handle: (ctx, payload) => {
      const { emu } = ctx;
      const userId = me(ctx);
      const membership = requireMember(emu, payload.chatId, userId);
      const row = requireVisible(emu, membership, payload.messageId);
      const attaches = JSON.parse(row.attaches) as StoredPoll[];
      const index = attaches.findIndex((a) => a._type === "POLL" && Number(a.pollId) === payload.pollId);
      const poll = attaches[index];
      if (!poll?.answers)
        throw new MaxProtocolError(ErrorCode.NOT_FOUND, "Poll not found", "Опрос не найден");
      const answers = poll.answers;
      const settings = pollSettings(poll);
      if (settings & PollFlag.CLOSED) {
        throw new MaxProtocolError(ErrorCode.PROTO_STATE, "Poll is closed", "Опрос завершён");
      }
      const known = answers.map((a) => a.id);
      const chosen = [...new Set(payload.answersIds)];
      for (const id of chosen) if (!known.includes(id)) throw badPayload(`Unknown answer id ${id}`);
      if (chosen.length > 1 && !(settings & PollFlag.MULTISELECT))
        throw badPayload("This poll takes one answer");
      if (emu.repos.polls.hasVoted(payload.pollId, userId) && !(settings & PollFlag.REVOTE)) {
        throw new MaxProtocolError(ErrorCode.PROTO_STATE, "Already voted", "Вы уже проголосовали");
      }
      const anonymous = (settings & PollFlag.ANONYMOUS) !== 0;
      const now = emu.now();
      const chatId = membership.chat.id;
      const state = emu.repos.polls.vote(
        { pollId: payload.pollId, userId, answerIds: chosen, messageId: row.id, now },
        (votes) => {
          // The chat moves too, so a client that was offline finds the change when it catches up.
          emu.repos.chats.touch(chatId, now);
          const fresh = pollState(known, votes, anonymous);
          attaches[index] = {
            ...poll,
            answers: answers.map((a, i) => ({
              ...a,
              answerId: a.id,
              votes: fresh.result[i]?.voteCount ?? 0,
            })),
            version: (typeof poll.version === "number" ? poll.version : 1) + 1,
            state: fresh,
          };
          return { attaches, result: fresh };
        },
      );
      const fresh = emu.repos.messages.inChat(chatId, row.id);
      if (fresh) {
        const message = { ...messageWire(emu, fresh), status: "EDITED" };
        emu.hub.emit(
          emu.repos.chats.memberIds(chatId),
          Opcode.NEW_MESSAGE,
          { chatId, message, ttl: false },
          ctx.conn,
        );
      }
      return { state };
    },
  },
});
