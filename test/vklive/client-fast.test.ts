/**
 * The VK Live client's hand checks (chat send input, `{}` answers, chat events) are never looser
 * than the schemas: whatever they accept, the schema accepts and parses to an equal value; the
 * rest still meets the schema.
 */
import { describe, expect, it } from "vitest";
import { plainSendInput, readChatSend, readEmpty } from "../../src/vklive/client/fast.js";
import { EVENT_DATA, VKLIVE_ENDPOINTS } from "../../src/vklive/protocol/index.js";

const text = (content: unknown) => ({ text: { content } });
const send = (query: unknown, parts: unknown) => ({ query, body: { parts } });

const INPUTS: unknown[] = [
  send({ channel_url: "chan" }, [text("hi")]),
  send({ channel_url: "chan", stream_id: undefined }, [text("hi")]),
  send({ channel_url: "chan", stream_id: "s1" }, [text(""), text("b")]),
  send({ channel_url: "c".repeat(200) }, [text("x")]),
  send({ channel_url: "c".repeat(201) }, [text("x")]),
  send({ channel_url: "" }, [text("x")]),
  send({ channel_url: "chan", stream_id: "s".repeat(101) }, [text("x")]),
  send({ channel_url: "chan", stream_id: 5 }, [text("x")]),
  send({ channel_url: 5 }, [text("x")]),
  send({ channel_url: "chan" }, []),
  send(
    { channel_url: "chan" },
    Array.from({ length: 100 }, () => text("x")),
  ),
  send(
    { channel_url: "chan" },
    Array.from({ length: 101 }, () => text("x")),
  ),
  send({ channel_url: "chan" }, [text(5)]),
  send({ channel_url: "chan" }, [{ text: { content: "x", extra: 1 } }]),
  send({ channel_url: "chan" }, [{ text: { content: "x" }, link: { url: "u" } }]),
  send({ channel_url: "chan" }, [{ mention: { id: 3 } }]),
  send({ channel_url: "chan" }, [{ link: { url: "https://x" } }]),
  send({ channel_url: "chan" }, [null]),
  send({ channel_url: "chan", other: 1 }, [text("x")]),
  { query: { channel_url: "chan" }, body: { parts: [text("x")], more: 1 } },
  { query: { channel_url: "chan" }, body: { parts: [text("x")] }, extra: 1 },
  { body: { parts: [text("x")] } },
  { query: { channel_url: "chan" } },
  null,
  "text",
];

const user = {
  id: 7,
  nick: "viewer",
  nick_color: 3,
  avatar_url: "",
  is_owner: false,
  is_moderator: false,
  badges: [{ id: "b", name: "B", small_url: "s" }],
  roles: [{ id: "r", name: "R", large_url: "l" }],
};
const message = (over: Record<string, unknown> = {}) => ({
  id: 1,
  created_at: 1_700_000_000,
  is_private: false,
  author: user,
  parts: [{ text: { content: "hello" } }],
  ...over,
});
const event = (m: unknown, over: Record<string, unknown> = {}) => ({
  chat_message: m,
  channel_url: "chan",
  ...over,
});

const EVENTS: unknown[] = [
  event(message()),
  event(message({ author: { id: 1, nick: "n" } })),
  event(message({ is_private: undefined })),
  event(
    message({
      parts: [
        { text: { content: "a" } },
        { mention: { id: 3, nick: "m" } },
        { smile: { id: "s", name: "n", animated: true, small_url: "u" } },
        { link: { url: "https://x", content: "x" } },
        {},
      ],
    }),
  ),
  event(message({ parts: [] })),
  event(message(), { extra_field: 1 }),
  event(message({ new_field: 1 })),
  event(message({ author: { ...user, new_field: 1 } })),
  event(message({ author: { ...user, badges: [{ id: "b", name: "B", what: 1 }] } })),
  event(message({ author: { ...user, roles: [{ id: 1, name: "R" }] } })),
  event(message({ parts: [{ text: { content: "a", style: "bold" } }] })),
  event(message({ parts: [{ video: { id: 1 } }] })),
  event(message({ parts: [{ mention: { id: "3" } }] })),
  event(message({ parts: [{ smile: { id: "s", animated: "yes" } }] })),
  event(message({ parts: [{ link: { url: "u", content: 5 } }] })),
  event(message({ id: "1" })),
  event(message({ id: Number.NaN })),
  event(message({ created_at: Number.POSITIVE_INFINITY })),
  event(message({ is_private: "no" })),
  event(message({ author: { id: 1 } })),
  event(message({ author: { ...user, nick_color: "red" } })),
  event(message({ parts: "hello" })),
  event(message(), { channel_url: 5 }),
  event(undefined),
  event(null),
  JSON.parse(
    '{"chat_message":{"id":1,"created_at":2,"author":{"id":1,"nick":"n"},"parts":[],"__proto__":{"x":1}},"channel_url":"c"}',
  ),
  null,
  [],
];

describe("VK Live client fast paths", () => {
  it("a send input passes by hand only when the request schema takes it", () => {
    const schema = VKLIVE_ENDPOINTS.sendMessage.request;
    let accepted = 0;
    for (const input of INPUTS) {
      if (!plainSendInput(input)) continue;
      accepted++;
      expect(schema.safeParse(input).success, JSON.stringify(input)).toBe(true);
    }
    expect(accepted).toBe(5);
  });

  it("a chat event read in place equals what its schema gives", () => {
    const schema = EVENT_DATA.channel_chat_message_send;
    let accepted = 0;
    for (const data of EVENTS) {
      const fast = readChatSend(data);
      if (fast === undefined) continue;
      accepted++;
      const r = schema.safeParse(data);
      expect(r.success, JSON.stringify(data)).toBe(true);
      expect(fast).toEqual(r.data);
      expect("extra" in (fast.chat_message as object)).toBe(false);
    }
    expect(accepted).toBe(5);
  });

  it("only an object without fields is read as `{}`", () => {
    const schema = VKLIVE_ENDPOINTS.sendMessage.response;
    for (const data of [{}, { a: 1 }, null, [], "x"]) {
      const fast = readEmpty(data);
      if (fast !== undefined) expect(fast).toEqual(schema.parse(data));
    }
    expect(readEmpty({})).toEqual({});
    expect(readEmpty({ a: 1 })).toBeUndefined();
  });
});
