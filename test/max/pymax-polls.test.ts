/**
 * Conformance: PyMax polls as raw packets. 64 with PyMax's Poll attach `{_type: "POLL", title,
 * answers[{text}], settings}` (types/domain/attachments/poll.py; PollFlags ANONYMOUS 1,
 * MULTISELECT 2, REVOTE 4, CLOSED 8) and 304 SEND_VOTE `{chatId, messageId, pollId, answersIds}`
 * (api/messages/payloads.py VotePollPayload), whose answer PyMax reads as `state` = PollState
 * `{total, result[{answerId, voteCount, votes, rate, options}], voterPreviewIds}`.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { emulatorFixture, expectErrorPacket, type RawClient } from "./raw.js";

const fx = emulatorFixture("915500");
beforeAll(fx.start);
afterAll(fx.stop);

let cid = 1;
async function sendPoll(from: RawClient, to: number, poll: Record<string, unknown>) {
  const sent = await from.ok(64, {
    userId: to,
    message: { cid: cid++, text: "", elements: [], attaches: [{ _type: "POLL", ...poll }] },
    notify: true,
  });
  const attach = sent.message.attaches[0];
  return { chatId: Number(sent.chatId), messageId: String(sent.message.id), pollId: attach.pollId, attach };
}

describe("PyMax polls (64 POLL attach, 304 SEND_VOTE)", () => {
  it("a PyMax poll is stored as PollAttachment; votes answer PollState and show in the message", async () => {
    const a = await fx.login();
    const b = await fx.login();
    const poll = await sendPoll(a.client, b.userId, {
      title: "Lunch?",
      answers: [{ text: "Pizza" }, { text: "Sushi" }],
      settings: 4,
    });
    expect(poll.attach).toMatchObject({
      _type: "POLL",
      title: "Lunch?",
      settings: 4,
      version: 1,
      pollId: expect.any(Number),
      state: { total: 0, result: [], voterPreviewIds: [] },
    });
    expect(poll.attach.answers.map((x: { text: string }) => x.text)).toEqual(["Pizza", "Sushi"]);
    const [pizza, sushi] = poll.attach.answers.map((x: { id: number }) => x.id);
    const vote = (c: RawClient, answersIds: number[]) =>
      c.call(304, {
        chatId: poll.chatId,
        messageId: Number(poll.messageId),
        pollId: poll.pollId,
        answersIds,
      });

    const first = await vote(b.client, [sushi]);
    expect(first.cmd).toBe(1);
    expect(first.payload.state).toEqual({
      total: 1,
      result: [
        { answerId: pizza, voteCount: 0, votes: [], rate: 0, options: 0 },
        { answerId: sushi, voteCount: 1, votes: [b.userId], rate: 100, options: 0 },
      ],
      voterPreviewIds: [b.userId],
    });
    const second = (await vote(a.client, [pizza])).payload.state;
    expect(second.total).toBe(2);
    expect(second.result.map((r: { rate: number }) => r.rate)).toEqual([50, 50]);
    expect(second.voterPreviewIds).toEqual([a.userId, b.userId]);

    // REVOTE (4): b changes their answer; the old one loses the vote.
    const revote = (await vote(b.client, [pizza])).payload.state;
    expect(revote.total).toBe(2);
    expect(revote.result).toEqual([
      { answerId: pizza, voteCount: 2, votes: [a.userId, b.userId], rate: 100, options: 0 },
      { answerId: sushi, voteCount: 0, votes: [], rate: 0, options: 0 },
    ]);

    // The message carries the same state (not marked edited).
    const got = await a.client.ok(71, { chatId: poll.chatId, messageIds: [poll.messageId] });
    const msg = got.messages[0];
    expect(msg.status).toBeUndefined();
    expect(msg.attaches[0].state).toEqual(revote);
    expect(msg.attaches[0].version).toBe(4);
    expect(msg.attaches[0].answers).toEqual([
      expect.objectContaining({ answerId: pizza, text: "Pizza", votes: 2 }),
      expect.objectContaining({ answerId: sushi, text: "Sushi", votes: 0 }),
    ]);
  });

  it("settings are kept: one vote without REVOTE, one answer without MULTISELECT, CLOSED refuses, ANONYMOUS hides voters", async () => {
    const a = await fx.login();
    const b = await fx.login();
    const two = [{ text: "Yes" }, { text: "No" }, { text: "Maybe" }];
    const once = await sendPoll(a.client, b.userId, { title: "Once", answers: two, settings: 0 });
    const ids = once.attach.answers.map((x: { id: number }) => x.id);
    const base = { chatId: once.chatId, messageId: once.messageId, pollId: once.pollId };
    expectErrorPacket(
      await b.client.call(304, { ...base, answersIds: [ids[0], ids[1]] }),
      304,
      "proto.payload",
    );
    expect((await b.client.call(304, { ...base, answersIds: [ids[0]] })).cmd).toBe(1);
    expectErrorPacket(await b.client.call(304, { ...base, answersIds: [ids[1]] }), 304, "proto.state");

    const multi = await sendPoll(a.client, b.userId, { title: "Many", answers: two, settings: 2 | 1 });
    const mIds = multi.attach.answers.map((x: { id: number }) => x.id);
    const mState = (
      await b.client.ok(304, {
        chatId: multi.chatId,
        messageId: multi.messageId,
        pollId: multi.pollId,
        answersIds: [mIds[0], mIds[2]],
      })
    ).state;
    // One voter, two answers; anonymous: no voter ids anywhere.
    expect(mState.total).toBe(1);
    expect(mState.result.map((r: { voteCount: number }) => r.voteCount)).toEqual([1, 0, 1]);
    expect(mState.result.every((r: { votes: number[] }) => r.votes.length === 0)).toBe(true);
    expect(mState.voterPreviewIds).toEqual([]);

    const closed = await sendPoll(a.client, b.userId, { title: "Closed", answers: two, settings: 8 });
    expectErrorPacket(
      await b.client.call(304, {
        chatId: closed.chatId,
        messageId: closed.messageId,
        pollId: closed.pollId,
        answersIds: [closed.attach.answers[0].id],
      }),
      304,
      "proto.state",
    );
  });

  it("the seed's poll shape can be voted on too", async () => {
    const a = await fx.login();
    const b = await fx.login();
    const seed = await sendPoll(a.client, b.userId, {
      question: "Tea?",
      options: [{ text: "Green" }, { text: "Black" }],
      multipleChoice: false,
    });
    const state = (
      await b.client.ok(304, {
        chatId: seed.chatId,
        messageId: seed.messageId,
        pollId: seed.pollId,
        answersIds: [seed.attach.answers[1].id],
      })
    ).state;
    expect(state).toMatchObject({ total: 1, voterPreviewIds: [b.userId] });
    expect(state.result[1]).toMatchObject({ voteCount: 1, votes: [b.userId], rate: 100 });
  });

  it("bad polls and bad votes get protocol errors", async () => {
    const a = await fx.login();
    const b = await fx.login();
    const stranger = await fx.login();
    // PyMax shape with one answer, or no title: attach.invalid.
    for (const bad of [
      { title: "One", answers: [{ text: "only" }], settings: 0 },
      { answers: [{ text: "x" }, { text: "y" }], settings: 0 },
      { title: "Flags", answers: [{ text: "x" }, { text: "y" }], settings: 1024 },
    ]) {
      const r = await a.client.call(64, {
        userId: b.userId,
        message: { cid: cid++, text: "", elements: [], attaches: [{ _type: "POLL", ...bad }] },
      });
      expectErrorPacket(r, 64, "attach.invalid");
    }
    const poll = await sendPoll(a.client, b.userId, {
      title: "Q",
      answers: [{ text: "x" }, { text: "y" }],
      settings: 0,
    });
    const base = { chatId: poll.chatId, messageId: poll.messageId, pollId: poll.pollId };
    const answer = poll.attach.answers[0].id;
    expectErrorPacket(await b.client.call(304, { ...base, answersIds: [999] }), 304, "proto.payload");
    expectErrorPacket(await b.client.call(304, { ...base, answersIds: [] }), 304, "proto.payload");
    expectErrorPacket(
      await b.client.call(304, { ...base, pollId: 12345, answersIds: [answer] }),
      304,
      "not.found",
    );
    expectErrorPacket(
      await b.client.call(304, { ...base, messageId: "99999999", answersIds: [answer] }),
      304,
      "message.not.found",
    );
    expectErrorPacket(
      await stranger.client.call(304, { ...base, answersIds: [answer] }),
      304,
      "chat.not.access",
    );
    expectErrorPacket(
      await b.client.call(304, { chatId: poll.chatId, answersIds: [answer] }),
      304,
      "proto.payload",
    );
    // None of the refusals counted a vote.
    const fine = await b.client.ok(304, { ...base, answersIds: [answer] });
    expect(fine.state.total).toBe(1);
  });
});
