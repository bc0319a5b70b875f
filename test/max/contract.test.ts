/**
 * MaxClient on the platform contract: state through connect/close, a throwing listener reaching
 * `error` as a HandlerError, `timeoutMs` and `signal` on a call, ValidationError before anything
 * is sent, and the one endpoint table driving both the client and the emulator.
 */
import type { AddressInfo } from "node:net";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { WebSocketServer } from "ws";
import {
  AbortError,
  ApiError,
  HandlerError,
  TimeoutError,
  TransportError,
  ValidationError,
} from "../../src/core/errors.js";
import type { MaxTrafficRecord } from "../../src/max/emulator/connection.js";
import { MaxClient, maxRpc, Opcode } from "../../src/max/index.js";
import { ErrorCode, RequestSchemas } from "../../src/max/protocol.js";
import { type Emulator, nextEvent, signedIn, startEmulator } from "./client-helpers.js";
import { RawClient } from "./raw.js";

let emu: Emulator;
const clients: MaxClient[] = [];
beforeAll(async () => {
  emu = await startEmulator();
});
afterEach(async () => {
  emu.admin.clearFaults();
  await Promise.all(clients.splice(0).map((c) => c.close()));
});
afterAll(async () => {
  await emu?.close();
});

const track = <T extends MaxClient>(c: T): T => {
  clients.push(c);
  return c;
};

describe("lifecycle", () => {
  it("state follows connect and close; close is idempotent and ends iterators; connect after close fails", async () => {
    const c = track(new MaxClient({ url: emu.url, reconnect: false }));
    expect(c.platform).toBe("max");
    expect(c.account).toBe("default");
    expect(c.state).toBe("disconnected");
    const states: string[] = [];
    c.on("state", (s) => {
      states.push(s.state);
    });
    const iterator = c.events({ types: ["state"] });
    expect(await c.connect()).toEqual({ loggedIn: false });
    expect(c.state).toBe("connected");
    await c.connect();
    await c.close();
    await c.close();
    expect(c.state).toBe("closed");
    expect(states).toEqual(["connecting", "connected", "closed"]);
    const seen: string[] = [];
    for await (const e of iterator) seen.push(e.data.state);
    expect(seen).toEqual(["connecting", "connected", "closed"]);
    await expect(c.connect()).rejects.toBeInstanceOf(TransportError);
  });

  it("a listener that throws reaches `error` as a HandlerError; other listeners still run", async () => {
    const a = track(await signedIn(emu));
    const b = track(await signedIn(emu));
    const errors: Error[] = [];
    b.on("error", (e) => {
      errors.push(e);
    });
    b.on("message", () => {
      throw new Error("listener bug");
    });
    const delivered = nextEvent(b, "message", (m) => m.message.text === "poke");
    await a.sendToUser(b.userId!, "poke");
    await delivered;
    await expect.poll(() => errors.length).toBe(1);
    const [err] = errors;
    expect(err).toBeInstanceOf(HandlerError);
    expect((err as HandlerError).event).toBe("message");
    expect(err?.message).toContain("listener bug");
  });
});

describe("call options", () => {
  it("timeoutMs overrides the client's default: a delayed answer fails with TimeoutError", async () => {
    const c = track(await signedIn(emu));
    emu.admin.delay(300, 5_000, { userId: c.userId! });
    await expect(c.getUsers([c.userId!], { timeoutMs: 50 })).rejects.toBeInstanceOf(TimeoutError);
    // Without the override the same call waits out the delay and succeeds.
    expect((await c.getUsers([c.userId!])).map((u) => u.id)).toEqual([c.userId]);
  });

  it("an aborted signal rejects with AbortError, before sending or while waiting", async () => {
    const c = track(await signedIn(emu));
    const done = new AbortController();
    done.abort();
    await expect(c.getChats([1], { signal: done.signal })).rejects.toBeInstanceOf(AbortError);
    emu.admin.delay(300, 5_000, { userId: c.userId! });
    const later = new AbortController();
    const pending = c.getUsers([c.userId!], { signal: later.signal });
    setTimeout(() => later.abort(), 20);
    await expect(pending).rejects.toBeInstanceOf(AbortError);
  });

  it("a bad request is a ValidationError and nothing reaches the server", async () => {
    const c = track(await signedIn(emu));
    const frames: MaxTrafficRecord[] = [];
    const off = emu.server.traffic.subscribe((r) => {
      if (r.dir === "in") frames.push(r);
    });
    try {
      const bad = c.getChats(["not-an-id" as unknown as number]);
      await expect(bad).rejects.toBeInstanceOf(ValidationError);
      await expect(bad).rejects.toThrow(/getChats \(opcode 48\).*chatIds/);
      await expect(c.sendMessage(1, "x".repeat(4001))).rejects.toBeInstanceOf(ValidationError);
      await expect(c.search("")).rejects.toBeInstanceOf(ValidationError);
      await c.ping();
      expect(frames.map((f) => f.opcode)).toEqual([Opcode.KEEPALIVE]);
    } finally {
      off();
    }
  });
});

describe("the endpoint table drives both sides", () => {
  it("every table entry has an emulator handler, and the emulator serves nothing outside the table", () => {
    const table = Object.values(maxRpc)
      .map((e) => e.opcode)
      .sort((a, b) => a - b);
    expect(new Set(table).size).toBe(table.length);
    expect(emu.server.handledOpcodes().sort((a, b) => a - b)).toEqual(table);
    expect(
      Object.keys(RequestSchemas)
        .map(Number)
        .sort((a, b) => a - b),
    ).toEqual(table);
  });

  it("the emulator checks each opcode's `auth` and request schema from the table", async () => {
    const raw = await RawClient.connect(emu.url);
    try {
      // auth "none" needs the hello first; auth "session" needs a login.
      const early = await raw.call(maxRpc.startAuth.opcode, { phone: "+79001230000" });
      expect(early.payload).toMatchObject({ error: ErrorCode.PROTO_STATE });
      await raw.call(maxRpc.hello.opcode, { deviceId: "contract-test" });
      const anon = await raw.call(maxRpc.getChats.opcode, { chatIds: [1] });
      expect(anon.payload).toMatchObject({ error: ErrorCode.PROTO_STATE, message: "Must be ONLINE session" });
      // The table's request schema: the same check the client makes before sending.
      const bad = { phone: 12 };
      expect(maxRpc.startAuth.request.safeParse(bad).success).toBe(false);
      const refused = await raw.call(maxRpc.startAuth.opcode, bad);
      expect(refused.payload).toMatchObject({ error: ErrorCode.PROTO_PAYLOAD });
    } finally {
      raw.ws.close();
    }
  });

  it("the client reads answers with the table's lenient response schema: extras kept, a wrong type is bad_response", async () => {
    const wss = new WebSocketServer({ port: 0, host: "127.0.0.1" });
    wss.on("connection", (ws) => {
      ws.on("message", (data) => {
        const p = JSON.parse(String(data)) as { seq: number; opcode: number; payload: { phone?: string } };
        let payload: unknown = {};
        if (p.opcode === Opcode.START_AUTH)
          payload =
            p.payload.phone === "+79990000001" ? { token: 42 } : { token: "t", codeLength: 6, extra: "kept" };
        ws.send(JSON.stringify({ ver: 11, cmd: 1, seq: p.seq, opcode: p.opcode, payload }));
      });
    });
    await new Promise((r) => wss.once("listening", r));
    const url = `ws://127.0.0.1:${(wss.address() as AddressInfo).port}/websocket`;
    const c = track(new MaxClient({ url, reconnect: false }));
    try {
      await c.connect();
      expect(await c.requestCode("+79990000002")).toEqual({ codeLength: 6 });
      const wrong = c.requestCode("+79990000001");
      await expect(wrong).rejects.toBeInstanceOf(ApiError);
      await expect(wrong).rejects.toMatchObject({ code: "bad_response" });
    } finally {
      await c.close();
      wss.close();
    }
  });
});
