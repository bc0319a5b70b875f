/**
 * The WebQQ client's hand checks (buddy send request, `{retcode}` envelopes, poll message items)
 * are never looser than the schemas: whatever they accept, the schema accepts and parses to an
 * equal value; the rest still meets the schema.
 */
import { describe, expect, it } from "vitest";
import { plainBuddySend, readEnvelope, readPollItem } from "../../src/webqq/client/fast.js";
import { Envelope, PollItem, SendBuddyR } from "../../src/webqq/protocol.js";

const r = (over: Record<string, unknown> = {}) => ({
  to: 123,
  content: '["hi",["font",{"name":"宋体","size":10,"style":[0,0,0],"color":"000000"}]]',
  msg_id: 10_000_001,
  clientid: "53999199",
  psessionid: "8368046764001d636f6e6e7365727665725f77656271714031302e3133392e372e3136300000",
  face: 0,
  ...over,
});

const SENDS: Record<string, unknown>[] = [
  r(),
  r({ face: undefined }),
  r({ to: "123", clientid: 53999199 }),
  r({ to: 0, msg_id: 0 }),
  r({ content: "x".repeat(65_536) }),
  r({ content: "x".repeat(65_537) }),
  r({ content: "" }),
  r({ to: -1 }),
  r({ to: 1.5 }),
  r({ to: 2 ** 53 }),
  r({ to: "12a" }),
  r({ msg_id: "1" }),
  r({ clientid: "abc" }),
  r({ psessionid: "" }),
  r({ face: 1.5 }),
  r({ key: "k" }),
  r({ extra: 1 }),
];

const ENVELOPES: unknown[] = [
  { retcode: 0, result: "ok" },
  { retcode: 102, errmsg: "" },
  { retcode: 116, p: "abc" },
  { retcode: 0, result: [], t: "1" },
  { retcode: 0 },
  { retcode: "0" },
  { retcode: 0, errmsg: 5 },
  { retcode: 0, p: null },
  { retcode: 0, other: 1 },
  { result: "ok" },
  null,
  "<html>",
  [0],
];

const base = {
  msg_id: 1001,
  msg_id2: 123456,
  from_uin: 222,
  to_uin: 111,
  msg_type: 9,
  reply_ip: 176498454,
  time: 1_700_000_000,
  content: [["font", { size: 10, color: "000000", style: [0, 0, 0], name: "宋体" }], "hello"],
};
const ITEMS: unknown[] = [
  { poll_type: "message", value: base },
  { poll_type: "group_message", value: { ...base, group_code: 1, send_uin: 2, info_seq: 3, seq: 4 } },
  { poll_type: "discu_message", value: { ...base, did: 1, send_uin: 2, info_seq: 3, seq: 4 } },
  { poll_type: "sess_message", value: { ...base, id: 1, ruin: 2, service_type: 0 } },
  { poll_type: "sess_message", value: { ...base, id: 1, ruin: 2, service_type: 0, flags: { text: 1 } } },
  { poll_type: "group_message", value: { ...base, group_code: 1, send_uin: 2, info_seq: 3 } },
  { poll_type: "message", value: { ...base, content: "hello" } },
  { poll_type: "message", value: { ...base, msg_id: "1001" } },
  { poll_type: "message", value: { ...base, time: Number.NaN } },
  { poll_type: "message", value: { ...base, extra_field: 1 } },
  { poll_type: "message", value: base, extra_field: 1 },
  { poll_type: "message" },
  { poll_type: "kick_message", value: { ...base, reason: "x", show_reason: 1 } },
  { poll_type: "input_notify", value: base },
  { poll_type: "buddies_status_change", value: { uin: 1, status: "online", client_type: 1 } },
  { poll_type: "unknown", value: base },
  JSON.parse(`{"poll_type":"message","value":${JSON.stringify(base).replace("{", '{"__proto__":{"x":1},')}}`),
  null,
];

describe("WebQQ client fast paths", () => {
  it("a buddy send passes by hand only when SendBuddyR takes it", () => {
    let accepted = 0;
    for (const s of SENDS) {
      if (!plainBuddySend(s)) continue;
      accepted++;
      expect(SendBuddyR.safeParse(s).success, JSON.stringify(s)).toBe(true);
    }
    expect(accepted).toBe(5);
  });

  it("an envelope read in place equals what its schema gives", () => {
    let accepted = 0;
    for (const e of ENVELOPES) {
      const fast = readEnvelope(e);
      if (fast === undefined) continue;
      accepted++;
      const parsed = Envelope.safeParse(e);
      expect(parsed.success, JSON.stringify(e)).toBe(true);
      expect(fast).toEqual(parsed.data);
    }
    expect(accepted).toBe(5);
  });

  it("a poll message item read in place equals what PollItem gives", () => {
    let accepted = 0;
    for (const item of ITEMS) {
      const fast = readPollItem(item);
      if (fast === undefined) continue;
      accepted++;
      const parsed = PollItem.safeParse(item);
      expect(parsed.success, JSON.stringify(item)).toBe(true);
      expect(fast).toEqual(parsed.data);
      expect("extra" in fast.value).toBe(false);
    }
    expect(accepted).toBe(4);
  });
});
