/**
 * Bounded cost on the VK Live face (issue 12 items 6 and 8): server limits on the Node server
 * (a silent TCP socket is closed while a Centrifugo connection stays up), and the Centrifugo
 * hub's per-connection bounds (subscriptions; a slow reader is cut off, others stay served).
 */
import { connect, type Socket } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { nextTurn } from "../helpers/quiet.js";
import { bearer, type Harness, raw, startEmulator, type World, waitFor, world } from "./harness.js";

let h: Harness;
let w: World;

beforeAll(async () => {
  h = await startEmulator(
    {},
    {
      serverLimits: { idleTimeoutMs: 300, headersTimeoutMs: 300, keepAliveTimeoutMs: 300 },
      hubLimits: { maxSubscriptions: 3, maxBufferedBytes: 64 * 1024 },
    },
  );
  w = world(h);
});
afterAll(() => h.close());

const wsUrl = () =>
  `${h.base.replace(/^http/, "ws")}/connection/websocket?format=json&cf_protocol_version=v2`;

/** A raw Centrifugo JSON-protocol peer. */
class Peer {
  readonly lines: Record<string, unknown>[] = [];
  closed: Promise<number>;
  #waiters: (() => void)[] = [];
  constructor(readonly ws: WebSocket) {
    ws.on("message", (d) => {
      for (const l of d.toString().split("\n")) {
        if (l.trim() === "") continue;
        if (l === "{}") {
          ws.send("{}");
          continue;
        }
        this.lines.push(JSON.parse(l));
      }
      for (const f of this.#waiters.splice(0)) f();
    });
    this.closed = new Promise((resolve) => ws.once("close", (code) => resolve(code)));
  }
  static async open(): Promise<Peer> {
    const ws = new WebSocket(wsUrl());
    await new Promise<void>((resolve, reject) => {
      ws.once("open", () => resolve());
      ws.once("error", reject);
    });
    return new Peer(ws);
  }
  async call(id: number, cmd: Record<string, unknown>): Promise<Record<string, unknown>> {
    this.ws.send(JSON.stringify({ id, ...cmd }));
    for (;;) {
      const r = this.lines.find((l) => l.id === id);
      if (r) return r;
      await new Promise<void>((resolve, reject) => {
        this.#waiters.push(resolve);
        this.ws.once("close", () => reject(new Error(`closed before reply ${id}`)));
      });
    }
  }
}

const wsToken = async (access = w.viewerToken) =>
  (await raw(h.base, "GET", "/v1/websocket/token", bearer(access))).json.data.token as string;

describe("server limits (item 8)", () => {
  it("a silent TCP socket is closed; an idle Centrifugo connection stays up", async () => {
    const peer = await Peer.open();
    expect(await peer.call(1, { connect: { token: await wsToken() } })).toHaveProperty("connect");
    const silent: Socket = connect(Number(new URL(h.base).port), "127.0.0.1");
    const started = Date.now();
    await new Promise<void>((resolve) => silent.once("close", () => resolve()));
    const closedAfter = Date.now() - started;
    expect(closedAfter).toBeLessThan(5000);
    // The WebSocket has been idle at least as long as the silent socket was, and still answers.
    expect(peer.ws.readyState).toBe(WebSocket.OPEN);
    const chat = `channel-chat:${w.channelId}`;
    expect(await peer.call(2, { subscribe: { channel: chat } })).toHaveProperty("subscribe");
    peer.ws.close();
  });

  it("a request that never finishes its headers is closed too", async () => {
    const s: Socket = connect(Number(new URL(h.base).port), "127.0.0.1");
    await new Promise<void>((resolve) => s.once("connect", () => resolve()));
    s.write("GET /v1/channel HTTP/1.1\r\nHost: 127.0.0.1\r\n");
    await new Promise<void>((resolve) => s.once("close", () => resolve()));
    // HTTP still serves others.
    expect(
      (await raw(h.base, "GET", `/v1/channel?channel_url=${w.channelUrl}`, bearer(w.viewerToken))).status,
    ).toBe(200);
  });
});

describe("Centrifugo bounds (item 6)", () => {
  it("subscriptions per connection are capped: the next one is limit exceeded (106)", async () => {
    const other = h.emu.admin.createUser({ nick: "subcap" }).userId;
    const ids = [w.channelId];
    for (let i = 0; i < 3; i++)
      ids.push(h.emu.admin.createChannel({ ownerId: other, url: `subcap${i}` }).channelId);
    const peer = await Peer.open();
    await peer.call(1, { connect: { token: await wsToken() } });
    for (let i = 0; i < 3; i++) {
      expect(await peer.call(10 + i, { subscribe: { channel: `channel-chat:${ids[i]}` } })).toHaveProperty(
        "subscribe",
      );
    }
    const over = await peer.call(20, { subscribe: { channel: `channel-chat:${ids[3]}` } });
    expect(over.error).toMatchObject({ code: 106 });
    peer.ws.close();
  });

  it("a reader that stops reading is disconnected (slow) while another subscriber gets every message", async () => {
    const chat = `channel-chat:${w.channelId}`;
    const slow = await Peer.open();
    await slow.call(1, { connect: { token: await wsToken() } });
    await slow.call(2, { subscribe: { channel: chat } });
    const good = await Peer.open();
    await good.call(1, { connect: { token: await wsToken() } });
    await good.call(2, { subscribe: { channel: chat } });
    const open = h.emu.hub.connections;
    // The slow peer stops reading: its socket buffers fill, then the server's queue grows.
    const slowSocket = (slow.ws as unknown as { _socket: Socket })._socket;
    slowSocket.pause();
    const text = "x".repeat(500);
    let sent = 0;
    for (let i = 0; i < 40_000 && h.emu.hub.connections === open; i++) {
      h.emu.admin.postMessage({ channelUrl: w.channelUrl, userId: w.viewer, text });
      sent++;
      if (i % 50 === 0) await nextTurn();
    }
    // Cut off: the hub forgot it (no more queueing for it) well before 40,000 messages.
    expect(h.emu.hub.connections).toBe(open - 1);
    slowSocket.resume();
    expect(await slow.closed).toBe(3008);
    // The good reader, served all along, gets every publication.
    const pushes = () => good.lines.filter((l) => l.push !== undefined).length;
    await waitFor(() => pushes() >= sent, 10_000, "every publication at the good reader");
    expect(pushes()).toBe(sent);
    good.ws.close();
  });
});
