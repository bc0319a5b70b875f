/**
 * MaxBotClient error mapping over loopback against the emulator: 401 verify.token as AuthError,
 * 404 not.found, a request our schema refuses never leaves the process, 429 beyond 30 requests/s
 * retried (and surfaced as RateLimitError when retries are off), and the token never appears in
 * a log line or an error.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  ApiError,
  AuthError,
  RateLimitError,
  TransportError,
  ValidationError,
} from "../../src/core/errors.js";
import type { Logger } from "../../src/core/log.js";
import { MaxBotClient } from "../../src/maxbot/client/index.js";
import { type BotWorld, type CreatedBot, type SignedInUser, startBotWorld } from "./harness.js";

let world: BotWorld;
let bot: CreatedBot;
let alice: SignedInUser;
let dialogId: number;

/** Real fetch, counting requests and answers by status. */
function countingFetch() {
  const statuses: number[] = [];
  let requests = 0;
  const f: typeof fetch = async (input, init) => {
    requests++;
    const res = await fetch(input, init);
    statuses.push(res.status);
    return res;
  };
  return {
    fetch: f,
    statuses,
    get requests() {
      return requests;
    },
  };
}

/** A logger that keeps every line (message and fields) as text. */
function recordingLogger(lines: string[]): Logger {
  const rec =
    (level: string) =>
    (a: unknown, b?: unknown): void => {
      lines.push(`${level} ${JSON.stringify(a)} ${JSON.stringify(b ?? "")}`);
    };
  const logger = {
    trace: rec("trace"),
    debug: rec("debug"),
    info: rec("info"),
    warn: rec("warn"),
    error: rec("error"),
    fatal: rec("fatal"),
    child: () => logger,
  };
  return logger as unknown as Logger;
}

beforeAll(async () => {
  world = await startBotWorld();
  bot = await world.createBot("Error bot");
  alice = await world.user("Alice");
  dialogId = (await alice.sendToUser(bot.userId, "hi")).chatId;
}, 60_000);

afterAll(async () => {
  await world?.close();
});

describe("MaxBotClient errors", () => {
  it("a wrong token: connect() fails with AuthError verify.token, the token nowhere in sight", async () => {
    const lines: string[] = [];
    const wrong = `${bot.token}x`;
    const client = new MaxBotClient({ url: world.botApi, token: wrong, logger: recordingLogger(lines) });
    const err = await client.connect().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AuthError);
    expect((err as AuthError).code).toBe("verify.token");
    expect((err as AuthError).details?.status).toBe(401);
    expect(client.state).toBe("disconnected");
    const shown = `${(err as Error).message} ${JSON.stringify((err as AuthError).details)} ${String((err as Error).stack)}`;
    expect(shown).not.toContain(wrong);
    expect(lines.join("\n")).not.toContain(wrong);
    await client.close();
  });

  it("no token at all is an AuthError before anything is sent", async () => {
    const counter = countingFetch();
    const client = new MaxBotClient({ url: world.botApi, fetch: counter.fetch });
    await expect(client.connect()).rejects.toBeInstanceOf(AuthError);
    expect(counter.requests).toBe(0);
  });

  it("404: an unknown chat and an unknown message answer not.found", async () => {
    const client = new MaxBotClient({ url: world.botApi, token: bot.token });
    const chat = await client.getChat(123456789).catch((e: unknown) => e);
    expect(chat).toBeInstanceOf(ApiError);
    expect(chat).toMatchObject({ code: "not.found", details: { status: 404 } });
    const msg = await client.getMessage("mid.00000000000000010000000000000001").catch((e: unknown) => e);
    expect(msg).toMatchObject({ code: "not.found" });
    await client.close();
  });

  it("the server's 400 for what our schema cannot know (a chat the bot is not in) is an ApiError", async () => {
    const client = new MaxBotClient({ url: world.botApi, token: bot.token });
    const err = await client.sendMessage({ chatId: 987654321 }, { text: "hello?" }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect(err).not.toBeInstanceOf(ValidationError);
    expect([400, 403, 404]).toContain((err as ApiError).details?.status);
    await client.close();
  });

  it("ValidationError before sending: text over 4000, a bad keyboard, a bad update type", async () => {
    const counter = countingFetch();
    const client = new MaxBotClient({ url: world.botApi, token: bot.token, fetch: counter.fetch });
    await expect(client.sendMessage({ chatId: dialogId }, { text: "x".repeat(4001) })).rejects.toBeInstanceOf(
      ValidationError,
    );
    await expect(
      client.sendMessage(
        { chatId: dialogId },
        {
          attachments: [
            {
              type: "inline_keyboard",
              payload: { buttons: [[{ type: "callback", text: "", payload: "p" }]] },
            },
          ],
        },
      ),
    ).rejects.toBeInstanceOf(ValidationError);
    await expect(client.getUpdates({ types: ["no_such_type" as "message_created"] })).rejects.toBeInstanceOf(
      ValidationError,
    );
    await expect(client.getUpdates({ limit: 5000 })).rejects.toBeInstanceOf(ValidationError);
    expect(counter.requests).toBe(0);
    // The same text at the limit goes through.
    const ok = await client.sendMessage({ chatId: dialogId }, { text: "y".repeat(4000) });
    expect(ok.body.text).toHaveLength(4000);
    await client.close();
  });

  it("429 beyond 30 requests/s: retried with backoff until every call succeeds", async () => {
    const counter = countingFetch();
    const client = new MaxBotClient({
      url: world.botApi,
      token: bot.token,
      fetch: counter.fetch,
      retries: 8,
    });
    const results = await Promise.all(Array.from({ length: 45 }, () => client.getMe()));
    expect(results.every((m) => m.user_id === bot.userId)).toBe(true);
    expect(counter.statuses.filter((s) => s === 429).length).toBeGreaterThan(0);
    // Sends (not idempotent) are retried on 429 too: the server refused them before doing anything.
    await new Promise((r) => setTimeout(r, 1100));
    const sends = await Promise.all(
      Array.from({ length: 35 }, (_, i) => client.sendMessage({ chatId: dialogId }, { text: `burst ${i}` })),
    );
    expect(new Set(sends.map((m) => m.body.mid)).size).toBe(35);
    await client.close();
  }, 30_000);

  it("429 with retries off is a RateLimitError", async () => {
    await new Promise((r) => setTimeout(r, 1100));
    const client = new MaxBotClient({ url: world.botApi, token: bot.token, retries: 0 });
    const settled = await Promise.allSettled(Array.from({ length: 45 }, () => client.getMe()));
    const refused = settled
      .filter((s) => s.status === "rejected")
      .map((s) => (s as PromiseRejectedResult).reason);
    expect(refused.length).toBeGreaterThan(0);
    for (const e of refused) {
      expect(e).toBeInstanceOf(RateLimitError);
      expect((e as RateLimitError).code).toBe("too.many.requests");
    }
    await client.close();
  });

  it("attachment.not.ready: a send waits (retrying with backoff) until the upload is done", async () => {
    await new Promise((r) => setTimeout(r, 1100));
    const client = new MaxBotClient({ url: world.botApi, token: bot.token });
    // Video and audio uploads hand out their token before the bytes arrive.
    const target = await client.getUploadUrl("video");
    const token = target.token as string;
    expect(token).toEqual(expect.any(String));
    const early = await client
      .sendMessage(
        { chatId: dialogId },
        { attachments: [{ type: "video", payload: { token } }] },
        { notReadyRetries: 0 },
      )
      .catch((e: unknown) => e);
    expect(early).toBeInstanceOf(ApiError);
    expect(early).toMatchObject({ code: "attachment.not.ready", details: { status: 400 } });
    const sending = client.sendMessage(
      { chatId: dialogId },
      { text: "the clip", attachments: [{ type: "video", payload: { token } }] },
    );
    await new Promise((r) => setTimeout(r, 300));
    const form = new FormData();
    form.append("data", new Blob([new Uint8Array(256)]), "clip.mp4");
    const uploaded = await fetch(target.url, { method: "POST", body: form });
    expect(uploaded.status).toBe(200);
    const sent = await sending;
    expect(sent.body.attachments?.[0]?.type).toBe("video");
    await client.close();
  }, 30_000);

  it("an unreachable server is a TransportError; a closed client refuses calls", async () => {
    const client = new MaxBotClient({ url: "http://127.0.0.1:9", token: bot.token, retries: 0 });
    await expect(client.getMe()).rejects.toBeInstanceOf(TransportError);
    await client.close();
    await expect(client.getMe()).rejects.toMatchObject({ code: "closed" });
  });
});
