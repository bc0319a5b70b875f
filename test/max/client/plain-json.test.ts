/**
 * The plain text send's hand-written JSON (messages.ts plainJson, carried to the codec under
 * JSON_BODY) is byte for byte what JSON.stringify makes of the same payload and envelope.
 */
import { describe, expect, it } from "vitest";
import { JSON_BODY, maxCodec } from "../../../src/max/client/codec.js";
import { isPlainSend, plainJson } from "../../../src/max/client/messages.js";
import { binaryCodec } from "../../../src/max/client/socket-wire.js";

const texts = [
  "",
  "hi",
  "Привет! Это сообщение: проверяем.",
  'quotes " and \\ backslash',
  "control \n\t\r\u0000\u001f",
  "emoji 😀 and a lone surrogate \ud800 end",
  "</script> \u2028 \u2029",
];
const ids = [1, 0, -0, -5, 2 ** 53 - 1, -(2 ** 53 - 1)];
const cids = [1, 0, 1_750_000_000_000_123, 0.5, 1e21, -7];

describe("plainJson", () => {
  it("equals JSON.stringify for every target shape, id, cid, notify and text", () => {
    let checked = 0;
    for (const text of texts)
      for (const id of ids)
        for (const cid of cids)
          for (const notify of [true, false]) {
            const message = { text, cid, elements: [], attaches: [] };
            const shapes = [
              { chatId: id, message, notify },
              { userId: id, message, notify },
              { chatId: id, userId: 9, message, notify },
              { chatId: undefined, message, notify },
            ];
            for (const p of shapes) {
              expect(isPlainSend(p)).toBe(true);
              expect(plainJson(p)).toBe(JSON.stringify(p));
              checked++;
            }
          }
    expect(checked).toBe(texts.length * ids.length * cids.length * 2 * 4);
  });

  it("the codec writes a given body exactly where JSON.stringify's envelope has the payload", () => {
    const p = { chatId: 5, message: { text: 'a "b" ц', cid: 3, elements: [], attaches: [] }, notify: true };
    const withBody = { ...p, [JSON_BODY]: plainJson(p) };
    const envelope = JSON.stringify({ ver: 11, cmd: 0, seq: 7, opcode: 64, payload: p });
    expect(maxCodec.encode({ seq: 7, method: 64, payload: withBody })).toBe(envelope);
    expect(maxCodec.encode({ seq: 7, method: 64, payload: p })).toBe(envelope);
    // The binary (MessagePack) transport never sees the symbol key.
    const bin = binaryCodec();
    expect(Buffer.from(bin.encode({ seq: 1, method: 64, payload: withBody }) as Uint8Array)).toEqual(
      Buffer.from(bin.encode({ seq: 1, method: 64, payload: p }) as Uint8Array),
    );
  });
});
