/**
 * The Bot API emulator in the sandbox console ("MAX Bot API" tab): its bots as accounts, a table
 * of bots with their queued update counts, and every REST exchange in the inspector (tokens in
 * the Authorization header and `access_token` query masked). Chats and messages are the MAX
 * tab's: bots live in the MAX world.
 */
import type { FastifyReply, FastifyRequest } from "fastify";
import type {
  ConsoleAccount,
  ConsoleProvider,
  ConsoleSink,
  ConsoleTable,
} from "../../core/emulator/console.js";
import {
  captureHttpTraffic,
  payloadText,
  previewBody,
  recordExchange,
} from "../../core/emulator/http-capture.js";
import { redact, redactUrl } from "../../core/redact.js";
import type { MaxBotEmulator } from "./server.js";

export class MaxBotConsoleProvider implements ConsoleProvider {
  readonly id = "maxbot";
  readonly title = "MAX Bot API";
  private sink: ConsoleSink | undefined;
  private capture = false;

  constructor(
    private readonly emu: MaxBotEmulator,
    private readonly baseUrl: () => string,
  ) {}

  url(): string {
    return this.baseUrl();
  }

  /** Must run before the app listens (Fastify takes hooks only until then). */
  attach(sink: ConsoleSink): void {
    this.sink = sink;
    captureHttpTraffic(this.emu.app, {
      capturing: () => this.capture,
      record: (req, reply, payload) => this.record(req, reply, payload),
    });
  }

  setTraffic(on: boolean): void {
    this.capture = on;
  }

  private record(req: FastifyRequest, reply: FastifyReply, payload: unknown): void {
    const sink = this.sink;
    if (!sink) return;
    const body = typeof req.body === "symbol" ? "(malformed JSON)" : redact(req.body ?? null);
    const text = payloadText(payload);
    recordExchange(sink, {
      platform: this.id,
      req,
      reply,
      path: redactUrl(req.url),
      account: req.botId ? String(req.botId) : undefined,
      request: { headers: redact({ authorization: req.headers.authorization }), body },
      text,
      response: previewBody(text, redact),
    });
    if (req.method !== "GET" && reply.statusCode < 300) sink.changed({});
  }

  accounts(): ConsoleAccount[] {
    return this.emu.admin.bots().map((b) => {
      const account: ConsoleAccount = { id: String(b.userId), name: b.name };
      if (b.username) account.detail = `@${b.username}`;
      return account;
    });
  }

  tables(): ConsoleTable[] {
    return [
      {
        id: "bots",
        title: "Bots",
        columns: ["userId", "name", "username", "queued", "createdAt"],
        rows: this.emu.admin.bots().map((b) => ({ ...b, createdAt: new Date(b.createdAt).toISOString() })),
      },
    ];
  }
}
