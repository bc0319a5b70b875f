/**
 * Issue 12 hardening of the MAX emulator: who may open the socket, bounded HTTP sockets.
 */
import { connect as tcpConnect } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { quietFor } from "../helpers/quiet.js";
import { RawClient, startEmulator } from "./raw.js";

let emu: Awaited<ReturnType<typeof startEmulator>>;
let phoneSeq = 0;
const nextPhone = () => `+7912600${String(++phoneSeq).padStart(4, "0")}`;
const clients: RawClient[] = [];

beforeAll(async () => {
  emu = await startEmulator({
    smsCode: "123456",
    allowedOrigins: ["http://localhost:5173"],
    serverLimits: { idleTimeoutMs: 300, headersTimeoutMs: 300, requestTimeoutMs: 300 },
  });
});

afterAll(async () => {
  for (const c of clients) c.close();
  await emu.close();
});

/** The HTTP status of an upgrade with this Origin (101 when the socket opens). */
function upgradeStatus(url: string, origin: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { origin });
    ws.once("open", () => {
      ws.close();
      resolve(101);
    });
    ws.once("unexpected-response", (_req, res) => {
      resolve(res.statusCode ?? 0);
      ws.terminate();
    });
    ws.once("error", (err) => reject(err));
  });
}

describe("item 4: browser origins", () => {
  it("a page on another origin can't open the socket, so it can't log in with a fixed code", async () => {
    expect(await upgradeStatus(emu.url, "https://evil.example")).toBe(403);
    expect(await upgradeStatus(emu.url, "null")).toBe(403);
    await expect(RawClient.connect(emu.url, "https://evil.example")).rejects.toThrow(/403/);
  });

  it("no Origin (non-browser clients), web.max.ru and a listed origin log in", async () => {
    for (const origin of [null, "https://web.max.ru", "http://localhost:5173"]) {
      const c = await RawClient.connect(emu.url, origin);
      clients.push(c);
      const { userId } = await c.smsLogin(nextPhone());
      expect(userId).toBeGreaterThan(0);
    }
  });
});

describe("item 8: server limits on the MAX port", () => {
  it("closes a TCP socket that never sends a request", async () => {
    const port = Number(new URL(emu.url).port);
    const socket = tcpConnect(port, "127.0.0.1");
    const closed = await new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), 5_000);
      socket.once("close", () => {
        clearTimeout(timer);
        resolve(true);
      });
    });
    socket.destroy();
    expect(closed).toBe(true);
  });

  it("keeps an open WebSocket past the HTTP idle timeout (its keepalive rules apply)", async () => {
    const c = await RawClient.connect(emu.url);
    clients.push(c);
    await c.hello();
    // One window longer than the HTTP idle timeout (300 ms) above.
    const closes = await quietFor<number>((push) => {
      c.ws.on("close", push);
      return () => c.ws.off("close", push);
    }, 600);
    expect(closes).toEqual([]);
    expect((await c.call(1, { interactive: false })).cmd).toBe(1);
  });
});
