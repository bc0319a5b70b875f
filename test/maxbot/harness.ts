/**
 * A sandbox world for Bot API tests: the whole sandbox (MAX, the Bot API emulator `maxbot` sharing
 * MAX's users and chats, and the rest) on random loopback ports with a fixed SMS code, plus helpers
 * to create bots through the admin API and MAX users signed in with our MaxClient.
 */
import { MemoryCredentialStore } from "../../src/core/credentials.js";
import { MaxClient } from "../../src/max/client/index.js";
import type { MaxSession } from "../../src/max/client/session.js";
import type { UpdatesOptions } from "../../src/maxbot/emulator/updates/index.js";
import { type Sandbox, startSandbox } from "../../src/sandbox/runner.js";

export const SMS_CODE = "123456";

export interface CreatedBot {
  token: string;
  userId: number;
}

/** MaxClient's own `userId` getter is set once signed in; `phone` is the test's. */
export type SignedInUser = MaxClient & { phone: string; readonly userId: number };

export interface BotWorld {
  sandbox: Sandbox;
  /** The console/admin base URL. */
  console: string;
  /** The Bot API base URL (`http://127.0.0.1:<port>`), what the official SDK takes as baseUrl. */
  botApi: string;
  /** The MAX WebSocket URL. */
  max: string;
  /** POST /_sandbox/maxbot/bots through the admin API. */
  createBot(name: string, username?: string): Promise<CreatedBot>;
  /** A fresh MAX user signed in by SMS with our MaxClient (closed by close()). */
  user(firstName?: string): Promise<SignedInUser>;
  /** Any admin API call: JSON in, JSON out; throws on a non-2xx answer with its body. */
  admin<T = unknown>(method: string, path: string, body?: unknown): Promise<T>;
  close(): Promise<void>;
}

let phones = 0;
function nextPhone(): string {
  phones += 1;
  return `+7955${String(process.pid % 1000).padStart(3, "0")}${String(phones).padStart(4, "0")}`;
}

export async function startBotWorld(
  options: { data?: string; maxbot?: { updates?: UpdatesOptions } } = {},
): Promise<BotWorld> {
  const sandbox = await startSandbox({
    port: 0,
    data: options.data ?? null,
    smsCode: SMS_CODE,
    maxSocketTls: false,
    ...(options.maxbot?.updates ? { maxbotUpdates: options.maxbot.updates } : {}),
  });
  const clients: MaxClient[] = [];
  const urls = sandbox.urls;
  const admin = async <T>(method: string, path: string, body?: unknown): Promise<T> => {
    const res = await fetch(urls.console + path, {
      method,
      headers: body === undefined ? {} : { "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`${method} ${path}: HTTP ${res.status} ${text}`);
    return (text ? JSON.parse(text) : undefined) as T;
  };
  return {
    sandbox,
    console: urls.console,
    botApi: urls.maxbot,
    max: urls.max,
    admin,
    createBot: (name, username) =>
      admin<CreatedBot>(
        "POST",
        "/_sandbox/maxbot/bots",
        username === undefined ? { name } : { name, username },
      ),
    async user(firstName = "Tester") {
      const phone = nextPhone();
      await admin("POST", "/_sandbox/max/users", { phone, firstName });
      const client = new MaxClient({
        url: urls.max,
        timeoutMs: 5000,
        credentials: new MemoryCredentialStore<MaxSession>(),
        reconnect: { baseMs: 20, maxMs: 200 },
      });
      clients.push(client);
      await client.connect();
      await client.requestCode(phone);
      const r = await client.signIn(SMS_CODE);
      if (r.status !== "ok") throw new Error("unexpected 2FA");
      if (client.userId === undefined) throw new Error("signed in without a user id");
      return Object.assign(client, { phone }) as SignedInUser;
    },
    async close() {
      await Promise.allSettled(clients.map((c) => c.close()));
      await sandbox.close();
    },
  };
}
