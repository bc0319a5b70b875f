/**
 * Worlds for the outbox tests: the whole sandbox on loopback (so the admin API's fault routes
 * are there), with an adapter whose client never retries on its own (the outbox's retries are
 * what is under test), and ways to count what the platform really stored.
 */
import { createServer, type Server, type Socket, connect as tcpConnect } from "node:net";
import type { Adapter } from "../../src/core/adapter.js";
import { type Ref, ref } from "../../src/core/model.js";
import { MaxImAdapter } from "../../src/maxim/adapter.js";
import { MaxImClient } from "../../src/maxim/client/index.js";
import { type Sandbox, startSandbox } from "../../src/sandbox/runner.js";
import { VkLiveAdapter } from "../../src/vklive/adapter.js";
import { VkLiveClient } from "../../src/vklive/client/index.js";
import { SCOPES } from "../../src/vklive/protocol/index.js";

export interface World {
  sandbox: Sandbox;
  /** POST /_sandbox/<platform>/faults/http through the console's admin API. */
  fault(platform: "maxim" | "vklive" | "webqq", body: Record<string, unknown>): Promise<void>;
  close(): Promise<void>;
}

export async function startWorld(): Promise<World> {
  const sandbox = await startSandbox({ port: 0, data: null, maxSocketTls: false });
  return {
    sandbox,
    async fault(platform, body) {
      const res = await fetch(`${sandbox.urls.console}/_sandbox/${platform}/faults/http`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(body),
      });
      if (!res.ok) throw new Error(`fault ${platform}: HTTP ${res.status} ${await res.text()}`);
    },
    close: () => sandbox.close(),
  };
}

export interface MaxImSide {
  adapter: MaxImAdapter;
  accountKey: string;
  /** Alice's group with bob and carol. */
  group: Ref;
  /** A second group of alice's (another chat). */
  group2: Ref;
  /** Another adapter for alice (a fresh client: what a restarted process has). */
  newAdapter(): Promise<MaxImAdapter>;
  /** Texts the emulator stored in `chat`, in its order (its admin view of every message). */
  stored(chat: Ref): string[];
  close(): Promise<void>;
}

let apps = 0;

/**
 * A MaxIM app in `world` and alice's adapter on it. `via` replaces the URL alice's client talks to
 * (a forwarder in front of the emulator).
 */
export async function maximSide(world: World, via?: (url: string) => Promise<string>): Promise<MaxImSide> {
  const url = world.sandbox.urls.maxim;
  const appId = `outbox-${process.pid}-${++apps}`;
  const { adminToken } = world.sandbox.maxim.admin.createApp(appId);
  const admin = new MaxImClient({ url, appId, adminToken, retries: 0 });
  const aliceId = (await admin.registerUser({ username: "alice", password: "pw-alice" })).user_id;
  const bobId = (await admin.registerUser({ username: "bob", password: "pw-bob" })).user_id;
  const g1 = await admin.asUser(aliceId).createGroup({ name: "one", user_list: [bobId] });
  const g2 = await admin.asUser(aliceId).createGroup({ name: "two", user_list: [bobId] });
  const token = await admin.userToken({ name: "alice", password: "pw-alice" });
  const clientUrl = via ? await via(url) : url;
  const adapters: MaxImAdapter[] = [];
  const newAdapter = async () => {
    const alice = new MaxImClient({
      url: clientUrl,
      appId,
      token: token.token,
      account: "alice",
      retries: 0,
      timeoutMs: 3000,
    });
    const a = new MaxImAdapter(alice, { pollIntervalMs: 200 });
    adapters.push(a);
    await a.connect();
    return a;
  };
  const adapter = await newAdapter();
  return {
    adapter,
    newAdapter,
    accountKey: `maxim:${adapter.account}`,
    group: ref("maxim", adapter.account, g1.group_id),
    group2: ref("maxim", adapter.account, g2.group_id),
    stored(chat) {
      return world.sandbox.maxim.admin
        .messages(appId)
        .filter((m) => String(m.to) === chat.id)
        .sort((a, b) => a.msgId - b.msgId)
        .map((m) => m.content ?? "");
    },
    async close() {
      await Promise.allSettled(adapters.map((a) => a.close()));
      await admin.close();
    },
  };
}

export interface VkLiveSide {
  adapter: VkLiveAdapter;
  accountKey: string;
  chat: Ref;
  close(): Promise<void>;
}

let channels = 0;

/** Alice's VK Live channel chat and her adapter (client retries off). */
export async function vkliveSide(world: World, via?: (url: string) => Promise<string>): Promise<VkLiveSide> {
  const emu = world.sandbox.vklive;
  const app = emu.admin.createApp({ redirectUri: "http://127.0.0.1:9/callback" });
  const alice = emu.admin.createUser({ nick: `alice${++channels}` }).userId;
  const { url: channelUrl } = emu.admin.createChannel({
    ownerId: alice,
    url: `outbox${process.pid}x${channels}`,
  });
  const t = emu.admin.issueToken({ clientId: app.clientId, userId: alice, scopes: SCOPES });
  const client = new VkLiveClient({
    url: via ? await via(world.sandbox.urls.vklive) : world.sandbox.urls.vklive,
    clientId: app.clientId,
    clientSecret: app.secret,
    timeoutMs: 5000,
    retries: 0,
    account: "alice",
    tokens: { accessToken: t.access_token, refreshToken: t.refresh_token, tokenType: "Bearer" },
  });
  const adapter = new VkLiveAdapter(client, { channels: [channelUrl] });
  await adapter.connect();
  return {
    adapter,
    accountKey: `vklive:${adapter.account}`,
    chat: ref("vklive", adapter.account, channelUrl),
    close: () => adapter.close(),
  };
}

/** Texts of the chat as the platform's history gives them (read back through the adapter). */
export async function historyTexts(adapter: Adapter, chat: Ref): Promise<string[]> {
  const messages = await adapter.history(chat, { limit: 100 });
  return messages.map((m) => m.content.map((s) => (s.type === "text" ? s.text : "")).join(""));
}

/**
 * A TCP forwarder in front of an HTTP server that can lose the answer of the next request whose
 * first line starts with `line`: the request reaches the server (which commits it), then both
 * sockets are cut before a byte of the answer reaches the client.
 */
export class AnswerCutter {
  #server: Server | undefined;
  #armed: string | undefined;
  cut = 0;
  readonly #sockets = new Set<Socket>();

  async start(target: string): Promise<string> {
    const { hostname, port } = new URL(target);
    this.#server = createServer((client) => {
      const upstream = tcpConnect(Number(port), hostname);
      this.#sockets.add(client).add(upstream);
      let poisoned = false;
      client.on("data", (chunk: Buffer) => {
        if (this.#armed && chunk.subarray(0, 64).toString("latin1").startsWith(this.#armed)) {
          this.#armed = undefined;
          poisoned = true;
        }
        upstream.write(chunk);
      });
      upstream.on("data", (chunk: Buffer) => {
        if (poisoned) {
          this.cut += 1;
          client.destroy();
          upstream.destroy();
          return;
        }
        client.write(chunk);
      });
      const end = () => {
        client.destroy();
        upstream.destroy();
        this.#sockets.delete(client);
        this.#sockets.delete(upstream);
      };
      client.on("close", end).on("error", end);
      upstream.on("close", end).on("error", end);
    });
    await new Promise<void>((r) => this.#server?.listen(0, "127.0.0.1", r));
    const address = this.#server.address();
    if (!address || typeof address === "string") throw new Error("no address");
    return `http://127.0.0.1:${address.port}`;
  }

  /** The answer of the next request starting with `line` (e.g. `POST /message/send`) is lost. */
  arm(line: string): void {
    this.#armed = line;
  }

  async close(): Promise<void> {
    for (const s of this.#sockets) s.destroy();
    await new Promise<void>((r) => (this.#server ? this.#server.close(() => r()) : r()));
  }
}
