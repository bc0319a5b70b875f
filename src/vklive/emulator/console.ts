/**
 * The VK Video Live emulator in the console (the provider); its tables and fault forms are in
 * console-tables.ts, masking and Centrifugo frame capture in console-wire.ts, SQL in store/.
 */
import type { IncomingMessage } from "node:http";
import type { FastifyReply, FastifyRequest } from "fastify";
import type { WebSocket } from "ws";
import {
  type ConsoleAccount,
  type ConsoleChat,
  ConsoleError,
  type ConsoleInboxItem,
  type ConsoleMessage,
  type ConsoleProvider,
  type ConsoleSink,
  type ConsoleTable,
  type FaultAction,
  formFields,
  parseOr400,
} from "../../core/emulator/console.js";
import {
  captureHttpTraffic,
  payloadText,
  previewBody,
  recordExchange,
} from "../../core/emulator/http-capture.js";
import type { HttpFaults } from "../../core/emulator/http-faults.js";
import { redact, redactUrl } from "../../core/redact.js";
import type { Database } from "../../core/storage.js";
import { ERROR_STATUS, Paths } from "../protocol/index.js";
import { vkliveConsoleTables, vkliveFaultActions } from "./console-tables.js";
import {
  type ConsentRequest,
  FaultBody,
  isLoopback,
  MAX_CONSENTS,
  mask,
  tapCentrifugoSocket,
} from "./console-wire.js";
import { hashSecret, VkFault } from "./context.js";
import { vkliveAnswer, vkliveHttpFaults } from "./faults.js";
import type { VkLiveEmulator } from "./server.js";
import { VkLiveStore } from "./store/index.js";

/**
 * The VK Video Live emulator in the console: sandbox users, channels' stream chats (chat id =
 * channel url) with their history, writing as any user (the admin's `postMessage`: stored,
 * published on `channel-chat:<id>`, webhooks queued), OAuth consent windows in the inbox
 * (captured by a hook when the emulator shows the page; Confirm grants as the acting user),
 * tables, faults, and every HTTP exchange and Centrifugo frame in the inspector.
 */
export class VkLiveConsoleProvider implements ConsoleProvider {
  readonly id = "vklive";
  readonly title = "VK Video Live";
  readonly chatKinds = ["channel"] as const;
  private sink: ConsoleSink | undefined;
  private capture = false;
  private readonly consents = new Map<string, ConsentRequest>();
  private consentSeq = 0;
  private connSeq = 0;
  // Delay, rate limit and fail with a chosen status: the sandbox's shared HTTP fault layer.
  private faults: HttpFaults | undefined;

  private readonly store: VkLiveStore;

  constructor(
    private readonly vk: VkLiveEmulator,
    storeOrDb: VkLiveStore | Database,
    private readonly baseUrl: () => string,
  ) {
    this.store = storeOrDb instanceof VkLiveStore ? storeOrDb : new VkLiveStore(storeOrDb);
  }
  url(): string {
    return this.baseUrl();
  }

  /** Must run before the VK Live app listens (Fastify takes hooks only until then). */
  attach(sink: ConsoleSink): void {
    this.sink = sink;
    const app = this.vk.app;
    // The shared HTTP fault layer (installed by the sandbox runner already, or here).
    this.faults = vkliveHttpFaults(this.vk, this.store);
    captureHttpTraffic(app, {
      capturing: () => this.capture,
      watch: (req, reply) => {
        if (req.url.startsWith(Paths.authorize)) this.consentWindow(req, reply);
        // While capturing, `record` says so after its records.
        if (!this.capture && req.method === "POST" && reply.statusCode < 300) sink.changed({});
      },
      record: (req, reply, payload) => this.record(req, reply, payload),
    });
    this.vk.hub.wss.on("connection", (ws: WebSocket, req: IncomingMessage) => this.tapSocket(ws, req));
  }

  setTraffic(on: boolean): void {
    this.capture = on;
  }

  private layer(): HttpFaults {
    this.faults ??= vkliveHttpFaults(this.vk, this.store);
    return this.faults;
  }

  // ── consent windows ──

  private consentWindow(req: FastifyRequest, reply: FastifyReply): void {
    const raw = (req.method === "GET" ? req.query : req.body) as Record<string, unknown> | undefined;
    if (!raw || typeof raw !== "object") return;
    const str = (k: string) => (typeof raw[k] === "string" ? (raw[k] as string) : undefined);
    const clientId = str("client_id");
    const redirectUri = str("redirect_uri");
    if (!clientId || !redirectUri) return;
    const responseType = str("response_type") === "token" ? "token" : "code";
    const scopes = (str("scope") ?? "")
      .split(/[,\s]+/)
      .filter(Boolean)
      .sort();
    const state = str("state");
    const same = (c: ConsentRequest) =>
      c.status === "pending" &&
      c.clientId === clientId &&
      c.redirectUri === redirectUri &&
      c.responseType === responseType &&
      c.state === state &&
      c.scopes.join(",") === scopes.join(",");
    if (req.method === "GET" && reply.statusCode === 200) {
      const old = [...this.consents.values()].find(same);
      if (old) {
        old.time = Date.now();
        this.sink?.inbox(this.inboxItem(old));
        return;
      }
      const item: ConsentRequest = {
        id: `consent-${++this.consentSeq}`,
        time: Date.now(),
        clientId,
        redirectUri,
        responseType,
        scopes,
        state,
        status: "pending",
      };
      this.consents.set(item.id, item);
      if (this.consents.size > MAX_CONSENTS) {
        const first = this.consents.keys().next().value;
        if (first !== undefined) this.consents.delete(first);
      }
      this.sink?.inbox(this.inboxItem(item));
    } else if (req.method === "POST" && reply.statusCode === 302) {
      // Decided in the window itself.
      const item = [...this.consents.values()].reverse().find(same);
      if (!item) return;
      const location = String(reply.getHeader("location") ?? "");
      const userId = Number(str("user_id"));
      this.decide(
        item,
        str("decision") === "allow",
        location,
        Number.isSafeInteger(userId) ? userId : undefined,
      );
    }
  }

  private decide(item: ConsentRequest, allowed: boolean, location: string, userId?: number): boolean {
    item.status = allowed && !/[?&#]error=/.test(location) ? "confirmed" : "expired";
    // The implicit flow's token never shows; the code flow's code is what the app needs.
    item.location = item.responseType === "token" ? redactUrl(location) : location;
    if (userId !== undefined) item.userId = userId;
    this.sink?.inbox(this.inboxItem(item));
    return item.status === "confirmed";
  }

  private inboxItem(c: ConsentRequest): ConsoleInboxItem {
    const what = `${c.responseType === "code" ? "CodeFlow" : "ImplicitFlow"} · ${c.scopes.join(", ") || "no scopes"}`;
    const who = c.userId !== undefined ? ` · user ${c.userId}` : "";
    return {
      id: c.id,
      platform: this.id,
      kind: "consent",
      time: c.time,
      to: c.clientId,
      value:
        c.status === "pending"
          ? `${what} → ${c.redirectUri}`
          : `${c.status === "confirmed" ? "allowed" : "denied"}${who}: ${c.location ?? ""}`,
      status: c.status,
      confirmable: c.status === "pending",
    };
  }

  inbox(): ConsoleInboxItem[] {
    return [...this.consents.values()].map((c) => this.inboxItem(c)).sort((a, b) => b.time - a.time);
  }

  /**
   * Grants a waiting consent as user `as` (the admin's `consent`, what Allow on the page does).
   * A code-flow redirect to a loopback address is also delivered (GET), as the browser would.
   */
  confirm(itemId: string, as: string): void {
    const item = this.consents.get(itemId);
    if (!item) throw new ConsoleError(404, `no VK Live consent ${itemId}`);
    if (item.status !== "pending") throw new ConsoleError(409, `consent ${itemId} is already ${item.status}`);
    const userId = this.userId(as);
    let location: string;
    try {
      const consent: Parameters<VkLiveEmulator["admin"]["consent"]>[0] = {
        clientId: item.clientId,
        userId,
        redirectUri: item.redirectUri,
        scopes: item.scopes,
        responseType: item.responseType,
        allow: true,
      };
      if (item.state !== undefined) consent.state = item.state;
      location = this.vk.admin.consent(consent).location;
    } catch (err) {
      throw this.consoleError(err);
    }
    const granted = this.decide(item, true, location, userId);
    if (granted && item.responseType === "code" && isLoopback(location)) {
      fetch(location, { redirect: "manual", signal: AbortSignal.timeout(5000) }).then(
        (r) => {
          void r.body?.cancel();
          this.sink?.notice(`VK Live consent ${itemId}: redirect delivered to the app (${r.status})`);
        },
        () => this.sink?.notice(`VK Live consent ${itemId}: the app's redirect URI did not answer`),
      );
    }
    this.sink?.notice(`VK Live consent ${itemId} granted to ${item.clientId} as user ${userId}`);
  }

  // ── traffic ──

  private record(req: FastifyRequest, reply: FastifyReply, payload: unknown): void {
    const sink = this.sink;
    if (!sink) return;
    const path = redactUrl(req.url);
    const headers = redact({
      authorization: req.headers.authorization,
      "content-type": req.headers["content-type"],
    });
    const body = typeof req.body === "symbol" ? "(malformed body)" : mask(req.body ?? null);
    const text = payloadText(payload);
    const type = String(reply.getHeader("content-type") ?? "");
    const out = type.startsWith("text/html")
      ? `(HTML page, ${Buffer.byteLength(text)} bytes)`
      : previewBody(text, mask);
    const location = reply.getHeader("location");
    let summary = `${reply.statusCode} ${path}`;
    if (out && typeof out === "object" && "error" in out)
      summary += ` ${String((out as { error: unknown }).error)}`;
    recordExchange(sink, {
      platform: this.id,
      req,
      reply,
      path,
      account: this.accountOf(req),
      request: { headers, body },
      text,
      response: location === undefined ? out : { location: redactUrl(String(location)), body: out },
      summary,
    });
    if (req.method === "POST" && reply.statusCode < 300) sink.changed({});
  }

  /** The user behind a Bearer token (looked up by hash, as the emulator does), when it is one. */
  private accountOf(req: FastifyRequest): string | undefined {
    const auth = req.headers.authorization;
    if (typeof auth !== "string" || !/^bearer /i.test(auth)) return undefined;
    const userId = this.store.tokenUserId(hashSecret(auth.slice(7).trim()));
    return userId == null ? undefined : String(userId);
  }

  private tapSocket(ws: WebSocket, req: IncomingMessage): void {
    tapCentrifugoSocket(ws, req, {
      platform: this.id,
      conn: `c${++this.connSeq}`,
      sink: () => this.sink,
      capturing: () => this.capture,
    });
  }
  accounts(): ConsoleAccount[] {
    return this.store.consoleUsers().map((u) => ({
      id: String(u.id),
      name: u.nick,
      detail: u.channels ? `id ${u.id} · channel ${u.channels}` : `id ${u.id}`,
    }));
  }

  /** Every channel's stream chat (anyone may write into any of them); chat id = channel url. */
  chats(_as?: string): ConsoleChat[] {
    return this.store
      .consoleChannels()
      .map((c) => {
        const chat: ConsoleChat = {
          id: c.url,
          kind: "stream",
          title: `${c.url}${c.stream === "online" ? " · live" : ""}${c.status === "banned" ? " · banned" : ""}`,
          members: c.followers,
        };
        const last = c.last_message ?? c.started_at ?? c.created_at;
        if (last !== null) chat.lastActivity = last;
        return chat;
      })
      .sort((a, b) => (b.lastActivity ?? 0) - (a.lastActivity ?? 0));
  }

  messages(chatId: string, options: { as?: string; limit: number }): ConsoleMessage[] {
    const ch = this.store.channelByUrl(chatId);
    if (!ch) throw new ConsoleError(404, `no VK Live channel ${chatId}`);
    const rows = this.store.recentMessages(ch.id, options.limit);
    return rows.reverse().map((m) => ({
      id: String(m.id),
      chatId,
      authorId: String(m.author_id),
      authorName: m.nick ?? String(m.author_id),
      time: m.created_at,
      text: m.deleted ? "(deleted)" : m.text,
    }));
  }

  /** Writes as a sandbox user into a channel's chat (stored, published to subscribers, webhooks). */
  send(input: { as: string; chatId?: string; to?: string; text: string }): {
    chatId: string;
    messageId: string;
  } {
    if (input.chatId === undefined)
      throw new ConsoleError(400, "VK Live has no direct chats: give chatId (a channel url)");
    const userId = this.userId(input.as);
    try {
      const { messageId } = this.vk.admin.postMessage({ channelUrl: input.chatId, userId, text: input.text });
      this.sink?.changed({ chatId: input.chatId });
      return { chatId: input.chatId, messageId: String(messageId) };
    } catch (err) {
      throw this.consoleError(err);
    }
  }

  /** The "+" form: a channel owned by `as` (its url is the title), followed by `members`. */
  createChat(input: { as: string; kind: "group" | "channel"; title: string; members: string[] }): {
    chatId: string;
  } {
    if (input.kind !== "channel")
      throw new ConsoleError(400, "VK Live has stream chats only: create a channel (kind channel)");
    if (!/^[A-Za-z0-9_.-]{1,100}$/.test(input.title))
      throw new ConsoleError(400, "the title is the channel url: 1-100 of A-Z a-z 0-9 _ . -");
    const ownerId = this.userId(input.as);
    const followers = [...new Set(input.members.map((m) => this.userId(m)))].filter((id) => id !== ownerId);
    try {
      const { url } = this.vk.admin.createChannel({ ownerId, url: input.title });
      for (const userId of followers) this.vk.admin.follow({ channelUrl: url, userId });
      this.sink?.changed({ chatId: url });
      return { chatId: url };
    } catch (err) {
      throw this.consoleError(err);
    }
  }

  private userId(as: string): number {
    const id = Number(as);
    if (!Number.isSafeInteger(id) || id <= 0 || !this.store.userExists(id))
      throw new ConsoleError(404, `no VK Live user ${as}`);
    return id;
  }

  private consoleError(err: unknown): Error {
    if (err instanceof VkFault) {
      const status = ERROR_STATUS[err.error];
      return new ConsoleError(status >= 500 || status === 401 ? 400 : status, `${err.error}: ${err.message}`);
    }
    return err instanceof Error ? err : new Error(String(err));
  }

  // ── tables ──

  tables(): ConsoleTable[] {
    return vkliveConsoleTables(this.vk, this.store, this.faults);
  }

  // ── faults ──

  faultActions(): FaultAction[] {
    return vkliveFaultActions();
  }

  applyFault(input: unknown): Record<string, unknown> {
    const body = parseOr400(FaultBody, formFields(input));
    switch (body.action) {
      case "fail": {
        const where = body.path ? ` to ${body.path}` : "";
        if (body.status === undefined || body.status === ERROR_STATUS[body.error]) {
          // The emulator's own fail-next: the seed's status for the constant.
          this.vk.admin.failNext(
            body.error,
            body.path === undefined ? { times: body.times } : { path: body.path, times: body.times },
          );
        } else {
          this.layer().fail(body.times, vkliveAnswer(body.error, body.status), { path: body.path });
        }
        const status = body.status ?? ERROR_STATUS[body.error];
        this.sink?.notice(`next ${body.times} VK Live request(s)${where} answer ${status} ${body.error}`);
        return { ok: true };
      }
      case "ratelimit":
        this.layer().rateLimit(body.limit, body.windowMs, body.durationMs);
        this.sink?.notice(
          `VK Live rate limit: ${body.limit} request(s) per ${body.windowMs} ms per token for ${body.durationMs} ms`,
        );
        return { ok: true };
      case "drop": {
        // Centrifugo sockets and the HTTP requests being answered (the shared layer's drop).
        const dropped = this.layer().drop(0, body.account === undefined ? {} : { account: body.account });
        this.sink?.notice(
          `dropped ${dropped} VK Live connection(s)${body.account ? ` of user ${body.account}` : ""}`,
        );
        return { ok: true, dropped };
      }
      case "delay":
        this.layer().delay(body.ms, body.durationMs);
        this.sink?.notice(`VK Live HTTP responses delayed ${body.ms} ms for ${body.durationMs} ms`);
        return { ok: true };
      case "clear":
        this.layer().clear();
        this.sink?.notice(
          "VK Live console faults cleared (the emulator's fail-next rules run out by themselves)",
        );
        return { ok: true };
    }
  }
}
