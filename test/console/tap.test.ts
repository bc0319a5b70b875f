/** The MAX emulator's traffic tap: parsing, masking, and silence when nobody listens. */
import { describe, expect, it } from "vitest";
import { REDACTED } from "../../src/core/redact.js";
import {
  type MaxConnection,
  type MaxTrafficRecord,
  MaxTrafficTap,
} from "../../src/max/emulator/connection.js";

const conn = { id: 4, userId: 77 } as MaxConnection;

describe("MaxTrafficTap", () => {
  it("is inactive until subscribed and again after the last listener leaves", () => {
    const tap = new MaxTrafficTap();
    expect(tap.active).toBe(false);
    const off1 = tap.subscribe(() => {});
    const off2 = tap.subscribe(() => {});
    off1();
    expect(tap.active).toBe(true);
    off2();
    expect(tap.active).toBe(false);
  });

  it("parses a packet and masks secret keys and secrets inside URLs", () => {
    const tap = new MaxTrafficTap();
    const got: MaxTrafficRecord[] = [];
    tap.subscribe((r) => got.push(r));
    const payload = {
      token: "login-secret",
      url: "http://127.0.0.1:1/upload/file?apiToken=up-secret&fileId=5",
      baseUrl: "http://127.0.0.1:1/i?r=photo-secret",
      download: "http://127.0.0.1:1/download/5/dl-secret",
      text: "hello",
    };
    const text = JSON.stringify({ ver: 11, cmd: 1, seq: 3, opcode: 87, payload });
    tap.record(conn, "out", text);
    expect(got).toHaveLength(1);
    const r = got[0]!;
    expect(r).toMatchObject({
      dir: "out",
      size: Buffer.byteLength(text),
      connId: 4,
      userId: 77,
      cmd: 1,
      seq: 3,
      opcode: 87,
      opcodeName: "FILE_UPLOAD_URL",
    });
    const shown = JSON.stringify(r.payload);
    for (const secret of ["login-secret", "up-secret", "photo-secret", "dl-secret"])
      expect(shown).not.toContain(secret);
    expect(r.payload).toMatchObject({ token: REDACTED, text: "hello" });
  });

  it("shows frames that are not JSON as text, and survives a throwing listener", () => {
    const tap = new MaxTrafficTap();
    const got: MaxTrafficRecord[] = [];
    tap.subscribe(() => {
      throw new Error("broken page");
    });
    tap.subscribe((r) => got.push(r));
    tap.record(conn, "in", "not json ?token=abc");
    expect(got[0]).toMatchObject({ opcode: undefined, payload: `not json ?token=${REDACTED}` });
  });
});
