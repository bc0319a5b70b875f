/**
 * Conformance: the push after a vote. No public client names a poll-update push (PyMax lists
 * 306 GET_POLL_UPDATES as a request only), so the other members get the poll's message as a
 * 128 with `status: "EDITED"`, the way PyMax (on_message_edit) and MaxClient read a changed
 * message. The vote moves the message's `updateTime` and the chat's `lastEventTime`, so a client
 * that was offline sees the change when it catches up; history does not mark the message edited.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { emulatorFixture, RawClient } from "./raw.js";

const fx = emulatorFixture("916200");
beforeAll(fx.start);
afterAll(fx.stop);

let cid = 1;

describe("304 SEND_VOTE pushes the updated poll", () => {
  it("other members and the voter's other sessions get 128 EDITED with the new state; the voting socket only its answer", async () => {
    const owner = await fx.login();
    const voter = await fx.login();
    const third = await fx.login();
    const created = await owner.client.ok(64, {
      message: {
        cid: cid++,
        attaches: [
          {
            _type: "CONTROL",
            event: "new",
            chatType: "CHAT",
            title: "Poll room",
            userIds: [voter.userId, third.userId],
          },
        ],
      },
      notify: true,
    });
    const chatId = Number(created.chatId);
    const sent = await owner.client.ok(64, {
      chatId,
      message: {
        cid: cid++,
        text: "",
        elements: [],
        attaches: [
          { _type: "POLL", title: "Where?", answers: [{ text: "Here" }, { text: "There" }], settings: 0 },
        ],
      },
      notify: true,
    });
    const poll = sent.message.attaches[0];
    const messageId = String(sent.message.id);
    const voterOther = await RawClient.connect(fx.emu.url);
    await voterOther.tokenLogin(voter.token);
    for (const c of [owner.client, voter.client, third.client]) c.packets.splice(0);
    const before = (await owner.client.ok(48, { chatIds: [chatId] })).chats[0].lastEventTime;

    const answer = await voter.client.ok(304, {
      chatId,
      messageId: Number(messageId),
      pollId: poll.pollId,
      answersIds: [poll.answers[1].id],
    });

    const isPoll = (p: { payload: { message?: { id?: unknown } } }) =>
      String(p.payload.message?.id) === messageId;
    for (const c of [owner.client, third.client, voterOther]) {
      const push = await c.event(128, isPoll);
      expect(push.payload.chatId).toBe(chatId);
      expect(push.payload.message.status).toBe("EDITED");
      expect(push.payload.message.updateTime).toEqual(expect.any(Number));
      expect(push.payload.message.attaches[0].state).toEqual(answer.state);
      expect(push.payload.message.attaches[0].answers[1]).toMatchObject({ text: "There", votes: 1 });
    }
    expect(voter.client.events(128).filter(isPoll)).toEqual([]);

    // History: same state and updateTime, not marked edited; the chat moved.
    const got = (await owner.client.ok(71, { chatId, messageIds: [messageId] })).messages[0];
    expect(got.status).toBeUndefined();
    expect(got.attaches[0].state).toEqual(answer.state);
    expect(got.updateTime).toBeGreaterThanOrEqual(sent.message.time);
    const after = (await owner.client.ok(48, { chatIds: [chatId] })).chats[0].lastEventTime;
    expect(after).toBeGreaterThanOrEqual(before);
    expect(after).toBeGreaterThanOrEqual(got.updateTime);
    voterOther.close();
  });

  it("a refused vote pushes nothing", async () => {
    const a = await fx.login();
    const b = await fx.login();
    const sent = await a.client.ok(64, {
      userId: b.userId,
      message: {
        cid: cid++,
        text: "",
        elements: [],
        attaches: [{ _type: "POLL", title: "Once", answers: [{ text: "x" }, { text: "y" }], settings: 8 }],
      },
    });
    a.client.packets.splice(0);
    const attach = sent.message.attaches[0];
    const refused = await b.client.call(304, {
      chatId: Number(sent.chatId),
      messageId: Number(sent.message.id),
      pollId: attach.pollId,
      answersIds: [attach.answers[0].id],
    });
    expect(refused.cmd).toBe(3);
    // Pushes are sent in order: once A has a later message, a poll push would have come first.
    await b.client.ok(64, {
      chatId: Number(sent.chatId),
      message: { cid: cid++, text: "after", elements: [], attaches: [] },
    });
    await a.client.event(128, (p) => p.payload.message?.text === "after");
    expect(
      a.client.events(128).filter((p) => String(p.payload.message?.id) === String(sent.message.id)),
    ).toEqual([]);
  });
});
