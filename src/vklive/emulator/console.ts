import type { IncomingMessage } from "node:http";
import type { FastifyReply, FastifyRequest } from "fastify";
import type { WebSocket } from "ws";
import { z } from "zod";
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
  type TrafficRecord,
} from "../../core/emulator/console.js";
import {
  BODY_PREVIEW,
  captureHttpTraffic,
  payloadText,
  previewBody,
  recordExchange,
} from "../../core/emulator/http-capture.js";
import type { HttpFaults } from "../../core/emulator/http-faults.js";
import { REDACTED, redact, redactUrl } from "../../core/redact.js";
import type { Database } from "../../core/storage.js";
import { ERROR_STATUS, type ErrorCode } from "../protocol.js";
import { hashSecret, VkFault } from "./context.js";
import { vkliveAnswer, vkliveHttpFaults } from "./faults.js";
import type { VkLiveEmulator } from "./server.js";

const ERRORS = Object.keys(ERROR_STATUS) as [ErrorCode, ...ErrorCode[]];
const Num = (min: number, max: number) => z.coerce.number().int().min(min).max(max);

const FaultBody = z.discriminatedUnion("action", [
  z.object({
    action: z.literal("fail"),
    error: z.enum(ERRORS),
    times: Num(1, 10_000).default(1),
    path: z.string().startsWith("/").max(200).optional(),
    /** Overrides the seed's status of `error` (answered by the console's own hook then). */
    status: Num(400, 599).optional(),
  }),
  z.object({
    action: z.literal("ratelimit"),
    limit: Num(0, 100_000),
    windowMs: Num(1, 3_600_000).default(1000),
    durationMs: Num(1, 3_600_000).default(60_000),
  }),
  z.object({ action: z.literal("drop"), account: z.string().regex(/^\d+$/).optional() }),
  z.object({
    action: z.literal("delay"),
    ms: Num(0, 60_000),
    durationMs: Num(1, 3_600_000).default(60_000),
  }),
  z.object({ action: z.literal("clear") }),
]);

/** Consent windows remembered for the inbox. */
const MAX_CONSENTS = 200;
const WS_PATH = "/connection/websocket";

interface ConsentRequest {
  id: string;
  time: number;
  clientId: string;
  redirectUri: string;
  responseType: "code" | "token";
  scopes: string[];
  state: string | undefined;
  status: ConsoleInboxItem["status"];
  /** The redirect the decision made (code flow: with the code; implicit: token masked). */
  location?: string;
  userId?: number;
}

/** `redact`, plus VK Live secrets it doesn't know: OAuth codes (strings; numeric Centrifugo codes stay), the consent form's MAC, stream keys. */
function mask<T>(value: T): T {
  const v = redact(value);
  const walk = (x: unknown, d: number): unknown => {
    if (d > 8 || x === null || typeof x !== "object") return x;
    if (Array.isArray(x)) return x.map((i) => walk(i, d + 1));
    const out: Record<string, unknown> = {};
    for (const [k, val] of Object.entries(x as Record<string, unknown>)) {
      const key = k.toLowerCase();
      out[k] =
        ((key === "code" || key === "consent") && typeof val === "string" && val !== "") ||
        key === "stream_key" ||
        key === "secret_hash" ||
        key === "signature_key"
          ? REDACTED
          : walk(val, d + 1);
    }
    return out;
  };
  return walk(v, 0) as T;
}

/** `sub` of a Centrifugo JWT, read without checking (the hub checks it): the account of a socket. */
function jwtSub(token: unknown): string | undefined {
  if (typeof token !== "string") return undefined;
  try {
    const body = JSON.parse(Buffer.from(token.split(".")[1] ?? "", "base64url").toString("utf8")) as {
      sub?: unknown;
    };
    return typeof body.sub === "string" && body.sub !== "" ? body.sub : undefined;
  } catch {
    return undefined;
  }
}

const isLoopback = (url: string): boolean => {
  try {
    const u = new URL(url);
    return (
      (u.protocol === "http:" || u.protocol === "https:") &&
      ["127.0.0.1", "localhost", "[::1]"].includes(u.hostname)
    );
  } catch {
    return false;
  }
};

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
  private sink: ConsoleSink | undefined;
  private capture = false;
  private readonly q;
  private readonly consents = new Map<string, ConsentRequest>();
  private consentSeq = 0;
  private connSeq = 0;
  // Delay, rate limit and fail with a chosen status: the sandbox's shared HTTP fault layer.
  private faults: HttpFaults | undefined;

  constructor(
    private readonly vk: VkLiveEmulator,
    private readonly db: Database,
    private readonly baseUrl: () => string,
  ) {
    this.q = {
      users: db.prepare(
        `SELECT u.id, u.nick, u.nick_color, u.created_at,
           (SELECT group_concat(c.url, ', ') FROM vklive_channels c WHERE c.owner_id = u.id) AS channels
         FROM vklive_users u ORDER BY u.id LIMIT 1000`,
      ),
      channels: db.prepare(
        `SELECT c.id, c.url, c.owner_id, u.nick AS owner, c.status,
           CASE WHEN s.id IS NULL THEN 'offline' ELSE 'online' END AS stream,
           s.id AS stream_id, s.title AS stream_title, s.started_at, s.viewers,
           (SELECT COUNT(*) FROM vklive_follows f WHERE f.channel_id = c.id) AS followers,
           (SELECT COUNT(*) FROM vklive_moderators m WHERE m.channel_id = c.id) AS moderators,
           (SELECT MAX(m.created_at) FROM vklive_messages m WHERE m.channel_id = c.id) AS last_message,
           c.created_at
         FROM vklive_channels c
         LEFT JOIN vklive_users u ON u.id = c.owner_id
         LEFT JOIN vklive_streams s ON s.id = (
           SELECT id FROM vklive_streams WHERE channel_id = c.id AND ended_at IS NULL
           ORDER BY started_at DESC LIMIT 1)
         ORDER BY c.id LIMIT 1000`,
      ),
      channel: db.prepare("SELECT id, url FROM vklive_channels WHERE url = ?"),
      messages: db.prepare(
        `SELECT m.id, m.author_id, u.nick, m.text, m.deleted, m.created_at FROM vklive_messages m
         LEFT JOIN vklive_users u ON u.id = m.author_id
         WHERE m.channel_id = ? ORDER BY m.id DESC LIMIT ?`,
      ),
      // Never the secret hash or the signature key.
      apps: db.prepare(
        `SELECT a.client_id, a.redirect_uri, a.webhook_url, a.created_at,
           (SELECT COUNT(DISTINCT t.grant_id) FROM vklive_tokens t
             WHERE t.client_id = a.client_id AND t.revoked = 0) AS grants
         FROM vklive_apps a ORDER BY a.created_at`,
      ),
      // Never the token (nor its hash).
      tokens: db.prepare(
        `SELECT t.kind, t.grant_id, t.client_id, t.user_id, u.nick, t.scopes, t.flow, t.expires_at,
           t.revoked, t.created_at FROM vklive_tokens t LEFT JOIN vklive_users u ON u.id = t.user_id
         ORDER BY t.created_at DESC, t.kind LIMIT 500`,
      ),
      codes: db.prepare(
        `SELECT c.client_id, c.user_id, u.nick, c.redirect_uri, c.scopes, c.expires_at, c.used
         FROM vklive_codes c LEFT JOIN vklive_users u ON u.id = c.user_id
         ORDER BY c.expires_at DESC LIMIT 200`,
      ),
      user: db.prepare("SELECT id FROM vklive_users WHERE id = ?"),
      tokenUser: db.prepare("SELECT user_id FROM vklive_tokens WHERE token_hash = ?"),
    };
  }

  url(): string {
    return this.baseUrl();
  }

  /** Must run before the VK Live app listens (Fastify takes hooks only until then). */
  attach(sink: ConsoleSink): void {
    this.sink = sink;
    const app = this.vk.app;
    // The shared HTTP fault layer (installed by the sandbox runner already, or here).
    this.faults = vkliveHttpFaults(this.vk, this.db);
    captureHttpTraffic(app, {
      capturing: () => this.capture,
      watch: (req, reply) => {
        if (req.url.startsWith("/app/oauth2/authorize")) this.consentWindow(req, reply);
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
    this.faults ??= vkliveHttpFaults(this.vk, this.db);
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
    const row = this.q.tokenUser.get(hashSecret(auth.slice(7).trim())) as
      | { user_id: number | null }
      | undefined;
    return row?.user_id == null ? undefined : String(row.user_id);
  }

  private tapSocket(ws: WebSocket, req: IncomingMessage): void {
    const conn = `c${++this.connSeq}`;
    let account: string | undefined;
    const emit = (dir: "in" | "out", text: string) => {
      const sink = this.sink;
      if (!sink) return;
      const frames: unknown[] = [];
      for (const line of text.split("\n")) {
        if (line.trim() === "") continue;
        try {
          frames.push(JSON.parse(line));
        } catch {
          frames.push(line.slice(0, BODY_PREVIEW));
        }
      }
      if (dir === "in" && account === undefined) {
        for (const f of frames) {
          const token = (f as { connect?: { token?: unknown } } | null)?.connect?.token;
          const sub = jwtSub(token);
          if (sub !== undefined) account = sub;
        }
      }
      const record: TrafficRecord = {
        platform: this.id,
        dir,
        time: Date.now(),
        size: Buffer.byteLength(text),
        conn,
        method: "WS",
        path: WS_PATH,
        summary: frames.map(frameSummary).join(" · ") || "(empty)",
        payload: mask(frames.length === 1 ? frames[0] : frames),
      };
      if (account !== undefined) record.account = account;
      sink.traffic(record);
    };
    ws.on("message", (data, isBinary) => {
      if (!this.capture) return;
      if (isBinary) return emit("in", "(binary frame)");
      emit("in", Array.isArray(data) ? Buffer.concat(data).toString("utf8") : data.toString());
    });
    const capture = () => this.capture;
    const send = ws.send;
    ws.send = function (this: WebSocket, ...args: unknown[]) {
      if (capture()) {
        const data = args[0];
        emit("out", payloadText(data, "(binary)"));
      }
      return (send as (...a: unknown[]) => void).apply(this, args);
    } as typeof ws.send;
    ws.on("close", (code, reason) => {
      if (!this.capture || !this.sink) return;
      const record: TrafficRecord = {
        platform: this.id,
        dir: "out",
        time: Date.now(),
        size: 0,
        conn,
        method: "WS",
        path: WS_PATH,
        summary: `closed ${code} ${reason.toString()}`.trim(),
        payload: { close: { code, reason: reason.toString() } },
      };
      if (account !== undefined) record.account = account;
      this.sink.traffic(record);
    });
    if (this.capture) {
      this.sink?.traffic({
        platform: this.id,
        dir: "in",
        time: Date.now(),
        size: 0,
        conn,
        method: "WS",
        path: redactUrl(req.url ?? WS_PATH),
        summary: "websocket opened",
        payload: { url: redactUrl(req.url ?? WS_PATH) },
      });
    }
  }

  // ── accounts, chats, messages ──

  accounts(): ConsoleAccount[] {
    return (
      this.q.users.all() as { id: number; nick: string; channels: string | null; created_at: number }[]
    ).map((u) => ({
      id: String(u.id),
      name: u.nick,
      detail: u.channels ? `id ${u.id} · channel ${u.channels}` : `id ${u.id}`,
    }));
  }

  /** Every channel's stream chat (anyone may write into any of them); chat id = channel url. */
  chats(_as?: string): ConsoleChat[] {
    return (this.q.channels.all() as ChannelRow[])
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
    const ch = this.q.channel.get(chatId) as { id: number; url: string } | undefined;
    if (!ch) throw new ConsoleError(404, `no VK Live channel ${chatId}`);
    const rows = this.q.messages.all(ch.id, options.limit) as {
      id: number;
      author_id: number;
      nick: string | null;
      text: string;
      deleted: number;
      created_at: number;
    }[];
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

  private userId(as: string): number {
    const id = Number(as);
    if (!Number.isSafeInteger(id) || id <= 0 || !this.q.user.get(id))
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
    const stats = this.vk.admin.stats();
    const own: Record<string, unknown>[] = (this.faults?.rows() ?? []).map((r) => ({ ...r }));
    return [
      {
        id: "apps",
        title: "Apps",
        columns: ["client_id", "redirect_uri", "webhook_url", "grants", "created_at"],
        rows: this.q.apps.all() as Record<string, unknown>[],
      },
      {
        id: "users",
        title: "Users",
        columns: ["id", "nick", "nick_color", "channels", "created_at"],
        rows: this.q.users.all() as Record<string, unknown>[],
      },
      {
        id: "channels",
        title: "Channels",
        columns: [
          "id",
          "url",
          "owner_id",
          "owner",
          "status",
          "stream",
          "stream_title",
          "started_at",
          "viewers",
          "followers",
          "moderators",
          "last_message",
        ],
        rows: this.q.channels.all() as Record<string, unknown>[],
      },
      {
        id: "tokens",
        title: "Tokens issued (values never shown)",
        columns: [
          "kind",
          "grant_id",
          "client_id",
          "user_id",
          "nick",
          "scopes",
          "flow",
          "expires_at",
          "revoked",
          "created_at",
        ],
        rows: this.q.tokens.all() as Record<string, unknown>[],
      },
      {
        id: "codes",
        title: "Authorization codes (consents, values never shown)",
        columns: ["client_id", "user_id", "nick", "redirect_uri", "scopes", "expires_at", "used"],
        rows: this.q.codes.all() as Record<string, unknown>[],
      },
      {
        id: "deliveries",
        title: "Webhook deliveries",
        columns: ["id", "clientId", "type", "url", "state", "attempts", "replyStatus", "lastError"],
        rows: this.vk.admin
          .deliveries()
          .slice(-200)
          .reverse()
          .map((d) => ({
            id: d.id,
            clientId: d.clientId,
            type: eventType(d.event),
            url: d.url,
            state: d.state,
            attempts: d.attempts,
            replyStatus: d.replyStatus,
            lastError: d.lastError,
          })),
      },
      {
        id: "stats",
        title: "Emulator stats",
        columns: ["connections", "published", "tokenRequests"],
        rows: [
          {
            connections: stats.connections,
            published: stats.published,
            tokenRequests: Object.entries(stats.tokenRequests)
              .map(([k, v]) => `${k}: ${v}`)
              .join(", "),
          },
        ],
      },
      {
        id: "faults",
        title: "Console faults in force",
        columns: ["fault", "detail", "remaining", "until"],
        rows: own,
      },
    ];
  }

  // ── faults ──

  faultActions(): FaultAction[] {
    return [
      {
        action: "fail",
        label: "Fail next N requests",
        fields: [
          { name: "error", label: "error", type: "select", options: ERRORS, default: "service_unavailable" },
          { name: "times", label: "N", type: "number", default: 1 },
          { name: "path", label: "only path (e.g. /v1/chat/message/send)", type: "text", optional: true },
          { name: "status", label: "status (default: the error's)", type: "number", optional: true },
        ],
      },
      {
        action: "ratelimit",
        label: "Rate-limit (429)",
        fields: [
          { name: "limit", label: "requests per window (per token)", type: "number", default: 5 },
          { name: "windowMs", label: "window ms", type: "number", default: 1000 },
          { name: "durationMs", label: "for ms", type: "number", default: 60_000 },
        ],
      },
      {
        action: "drop",
        label: "Drop connections (Centrifugo, open HTTP requests)",
        fields: [{ name: "account", label: "user (empty = all)", type: "account", optional: true }],
      },
      {
        action: "delay",
        label: "Delay HTTP responses",
        fields: [
          { name: "ms", label: "ms", type: "number", default: 1000 },
          { name: "durationMs", label: "for ms", type: "number", default: 60_000 },
        ],
      },
      { action: "clear", label: "Clear console faults", fields: [] },
    ];
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

interface ChannelRow {
  id: number;
  url: string;
  status: string;
  stream: "online" | "offline";
  started_at: number | null;
  followers: number;
  last_message: number | null;
  created_at: number;
}

function eventType(event: unknown): string {
  try {
    const e = (typeof event === "string" ? JSON.parse(event) : event) as { type?: unknown } | null;
    return typeof e?.type === "string" ? e.type : "";
  } catch {
    return "";
  }
}

/** One line per Centrifugo frame: `connect #1`, `reply #1`, `push channel-chat:3`, `ping`. */
function frameSummary(f: unknown): string {
  if (f === null || typeof f !== "object") return String(f).slice(0, 60);
  const o = f as Record<string, unknown>;
  const keys = Object.keys(o).filter((k) => k !== "id");
  if (keys.length === 0) return o.id === undefined ? "ping/pong" : `reply #${String(o.id)}`;
  if ("push" in o) {
    const p = o.push as { channel?: unknown; pub?: { data?: { type?: unknown } } } | null;
    const type = p?.pub?.data?.type;
    return `push ${String(p?.channel ?? "")}${typeof type === "string" ? ` ${type}` : ""}`;
  }
  if ("error" in o) {
    const e = o.error as { code?: unknown; message?: unknown } | null;
    return `error #${String(o.id)} ${String(e?.code ?? "")} ${String(e?.message ?? "")}`.trim();
  }
  const method = keys[0] ?? "";
  const channel = (o[method] as { channel?: unknown } | null)?.channel;
  return `${method}${o.id !== undefined ? ` #${String(o.id)}` : ""}${typeof channel === "string" ? ` ${channel}` : ""}`;
}
