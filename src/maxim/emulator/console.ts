import type { FastifyReply, FastifyRequest } from "fastify";
import { z } from "zod";
import {
  type ConsoleAccount,
  type ConsoleChat,
  ConsoleError,
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
import { applyConsoleHttpFault, consoleHttpFaultActions } from "../../core/emulator/http-faults.js";
import { redact, redactUrl } from "../../core/redact.js";
import { ERROR_CODES, Header } from "../protocol.js";
import { type MaxImAdminCall, MaxImCallError, withMaxImAdmin } from "./console-admin.js";
import { maximHttpFaults } from "./faults.js";
import type { MaxImEmulator, MessageRecord } from "./server.js";

const FaultBody = z.discriminatedUnion("action", [
  z.object({
    action: z.literal("fail"),
    code: z.coerce
      .number()
      .int()
      .refine((c) => c in ERROR_CODES, "code must be a MaxIM error code of the seed's table"),
    path: z.string().startsWith("/").max(256).optional(),
    times: z.coerce.number().int().min(1).max(10_000).default(1),
  }),
  z.object({ action: z.literal("clear") }),
]);

/**
 * The MaxIM emulator in the console, as far as its admin shows it: apps, users and groups
 * (read from its tables), messages sent (grouped into conversations) and pushes, every REST
 * exchange in the inspector (captured by hooks on its Fastify app), and `fail next` faults.
 * Writing as a user (and creating a group owned by them) goes through MaxIM's own REST API
 * in-process with a throwaway admin token (`from_user_id` on /message/send), so it is checked,
 * stored and delivered exactly like an app server's call.
 */
export class MaxImConsoleProvider implements ConsoleProvider {
  readonly id = "maxim";
  readonly title = "MaxIM";
  readonly chatKinds = ["group"] as const;
  private sink: ConsoleSink | undefined;
  private capture = false;

  constructor(
    private readonly maxim: MaxImEmulator,
    private readonly baseUrl: () => string,
  ) {}

  private get q() {
    return this.maxim.store.console;
  }

  url(): string {
    return this.baseUrl();
  }

  /** Must run before the MaxIM app listens (Fastify takes hooks only until then). */
  attach(sink: ConsoleSink): void {
    this.sink = sink;
    // Delay, rate limit and drop: the sandbox's shared HTTP fault layer (installed once per app).
    maximHttpFaults(this.maxim);
    captureHttpTraffic(this.maxim.app, {
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
    const account = req.headers[Header.USER_ID];
    const headers = redact({
      [Header.APP_ID]: req.headers[Header.APP_ID],
      [Header.ACCESS_TOKEN]: req.headers[Header.ACCESS_TOKEN],
      [Header.USER_ID]: req.headers[Header.USER_ID],
    });
    const body = typeof req.body === "symbol" ? "(malformed JSON)" : redact(req.body ?? null);
    const text = payloadText(payload);
    recordExchange(sink, {
      platform: this.id,
      req,
      reply,
      path: redactUrl(req.url),
      account: typeof account === "string" ? account : undefined,
      request: { headers, body },
      text,
      response: previewBody(text, redact),
    });
    if (req.method !== "GET" && reply.statusCode < 300) sink.changed({});
  }

  accounts(): ConsoleAccount[] {
    return (
      this.q.users() as {
        user_id: number;
        app_id: string;
        username: string;
        nick_name: string | null;
        mobile: string | null;
      }[]
    ).map((u) => ({
      id: String(u.user_id),
      name: u.nick_name || u.username,
      detail: `${u.app_id} · ${u.username}${u.mobile ? ` · ${u.mobile}` : ""}`,
    }));
  }

  /**
   * Conversations that have messages (`u:<a>:<b>` between two users, `g:<group>` for groups) and
   * every group. With `as`, only what that user sees: her own conversations and the groups she
   * is a member of (a user belongs to one app, so no other app's group is ever listed).
   */
  chats(as?: string): ConsoleChat[] {
    const viewer = as === undefined ? undefined : this.user(as, "as");
    const joined = viewer ? this.joinedGroups(viewer.id) : undefined;
    const names = new Map(this.accounts().map((a) => [a.id, a.name]));
    const out = new Map<string, ConsoleChat>();
    for (const g of this.q.groups()) {
      if (joined && !joined.has(g.group_id)) continue;
      out.set(`g:${g.group_id}`, { id: `g:${g.group_id}`, kind: "group", title: g.name, members: g.members });
    }
    for (const m of this.maxim.admin.messages()) {
      if (viewer && !this.sees(viewer.id, joined, m)) continue;
      const id = chatKey(m);
      const existing = out.get(id);
      if (existing) {
        existing.lastActivity = Math.max(existing.lastActivity ?? 0, m.createdAt);
        continue;
      }
      out.set(id, {
        id,
        kind: m.toType === 2 ? "group" : "direct",
        title:
          m.toType === 2
            ? `group ${m.to}`
            : `${names.get(String(m.from)) ?? m.from} ↔ ${names.get(String(m.to)) ?? m.to}`,
        lastActivity: m.createdAt,
      });
    }
    return [...out.values()].sort((a, b) => (b.lastActivity ?? 0) - (a.lastActivity ?? 0));
  }

  /** The history of one conversation; with `as`, only a participant (or group member) may read it (403). */
  messages(chatId: string, options: { as?: string; limit: number }): ConsoleMessage[] {
    const m = /^(?:u:(\d+):(\d+)|g:(\d+))$/.exec(chatId);
    if (!m) throw new ConsoleError(404, `no MaxIM conversation ${chatId}`);
    if (options.as !== undefined) {
      const viewer = this.user(options.as, "as");
      const member =
        m[3] !== undefined
          ? this.joinedGroups(viewer.id).has(Number(m[3]))
          : Number(m[1]) === viewer.id || Number(m[2]) === viewer.id;
      if (!member) throw new ConsoleError(403, `${viewer.id} is not in chat ${chatId}`);
    }
    const names = new Map(this.accounts().map((a) => [a.id, a.name]));
    const all = this.maxim.admin.messages().filter((r) => chatKey(r) === chatId);
    return all.slice(-options.limit).map((r) => ({
      id: String(r.msgId),
      chatId,
      authorId: String(r.from),
      authorName: names.get(String(r.from)) ?? String(r.from),
      time: r.createdAt,
      text: r.recalled ? "(recalled)" : r.content,
      attachments: r.attachment
        ? [{ type: `content type ${r.contentType}`, name: r.attachment.slice(0, 200) }]
        : [],
    }));
  }

  /** The ids of the groups `userId` is a member of now. */
  private joinedGroups(userId: number): Set<number> {
    return new Set(
      (this.maxim.store.groups.joinedGroupIds(userId) as { group_id: number }[]).map((r) => r.group_id),
    );
  }

  /** Whether a member sees message `m`: a dialog she is in, or a group she belongs to. */
  private sees(userId: number, joined: Set<number> | undefined, m: MessageRecord): boolean {
    if (m.toType === 2) return joined?.has(m.to) ?? false;
    return m.from === userId || m.to === userId;
  }

  /** A MaxIM user by its id as the console gives it: 400 when it is no id, 404 when unknown. */
  private user(value: string, what: string): { id: number; appId: string } {
    const id = Number(value);
    if (!/^\d{1,16}$/.test(value) || !Number.isSafeInteger(id))
      throw new ConsoleError(400, `${what} must be a MaxIM user id`);
    const row = this.q.user(id);
    if (!row) throw new ConsoleError(404, `no MaxIM user ${value}`);
    return { id, appId: row.app_id };
  }

  /** Runs admin calls for `appId`; MaxIM error codes become console errors naming the code. */
  private async admin<T>(appId: string, fn: (call: MaxImAdminCall) => Promise<T>): Promise<T> {
    try {
      return await withMaxImAdmin(this.maxim, appId, "console", fn);
    } catch (err) {
      if (err instanceof MaxImCallError) {
        const status = err.code === 20002 || err.code === 10010 ? 403 : err.code === 20001 ? 404 : 400;
        throw new ConsoleError(
          status,
          `MaxIM answered ${err.code}: ${err.detail ?? (ERROR_CODES as Record<number, string>)[err.code] ?? ""}`,
        );
      }
      throw err;
    }
  }

  /** Writes as `as` into a conversation (`u:<a>:<b>` they are in, or `g:<group>`), or to user `to`. */
  async send(input: { as: string; chatId?: string; to?: string; text: string }): Promise<{
    chatId: string;
    messageId: string;
  }> {
    const from = this.user(input.as, "as");
    let target: number;
    let type: 1 | 2;
    if (input.chatId === undefined) {
      const to = this.user(input.to ?? "", "to");
      if (to.appId !== from.appId)
        throw new ConsoleError(400, `${to.id} is a user of app ${to.appId}, not of ${from.appId}`);
      target = to.id;
      type = 1;
    } else {
      const m = /^(?:u:(\d+):(\d+)|g:(\d+))$/.exec(input.chatId);
      if (!m) throw new ConsoleError(404, `no MaxIM conversation ${input.chatId}`);
      if (m[3] !== undefined) {
        const g = this.q.group(Number(m[3]));
        if (!g) throw new ConsoleError(404, `no MaxIM group ${m[3]}`);
        if (g.app_id !== from.appId)
          throw new ConsoleError(403, `${from.id} is not in chat ${input.chatId} (another app)`);
        target = g.group_id;
        type = 2;
      } else {
        const [a, b] = [Number(m[1]), Number(m[2])];
        if (a !== from.id && b !== from.id)
          throw new ConsoleError(403, `${from.id} is not in chat ${input.chatId}`);
        target = a === from.id ? b : a;
        type = 1;
        this.user(String(target), "the other user");
      }
    }
    await this.admin(from.appId, (call) =>
      call("POST", "/message/send", {
        targets: [target],
        type,
        content_type: 0,
        content: input.text,
        from_user_id: from.id,
      }),
    );
    const lastId = this.q.lastSent(from.appId, from.id, target, type);
    const chatId =
      type === 2 ? `g:${target}` : from.id < target ? `u:${from.id}:${target}` : `u:${target}:${from.id}`;
    this.sink?.changed({ chatId });
    return { chatId, messageId: String(lastId ?? "") };
  }

  /** A group owned by `as` with `members` (users of the same app); MaxIM has no channels. */
  async createChat(input: {
    as: string;
    kind: "group" | "channel";
    title: string;
    members: string[];
  }): Promise<{
    chatId: string;
  }> {
    if (input.kind !== "group") throw new ConsoleError(400, "MaxIM has groups only (no channels)");
    const owner = this.user(input.as, "as");
    const members = [...new Set(input.members.map((m) => this.user(m, "members").id))].filter(
      (id) => id !== owner.id,
    );
    const data = (await this.admin(owner.appId, (call) =>
      call("POST", "/group/create", { name: input.title, user_list: members }, owner.id),
    )) as { group_id: number };
    const chatId = `g:${data.group_id}`;
    this.sink?.changed({ chatId });
    return { chatId };
  }

  tables(): ConsoleTable[] {
    return [
      {
        id: "apps",
        title: "Apps",
        columns: ["app_id", "license", "users", "created_at"],
        rows: this.q.apps(),
      },
      {
        id: "users",
        title: "Users",
        columns: ["user_id", "app_id", "username", "nick_name", "mobile", "disabled"],
        rows: this.q.users(),
      },
      {
        id: "groups",
        title: "Groups",
        columns: ["group_id", "app_id", "name", "owner_id", "members", "status"],
        rows: this.q.groups(),
      },
      {
        id: "pushes",
        title: "Pushes sent",
        columns: ["id", "appId", "audience", "message", "users", "suppressed", "createdAt"],
        rows: this.maxim.admin
          .pushes()
          .slice(-200)
          .reverse()
          .map((p) => ({ ...p, users: p.users.join(", "), suppressed: p.suppressed.length })),
      },
      {
        id: "messages",
        title: "Messages sent",
        columns: ["msgId", "appId", "kind", "from", "to", "toType", "contentType", "content", "createdAt"],
        rows: this.maxim.admin
          .messages()
          .slice(-200)
          .reverse()
          .map((m) => ({ ...m })),
      },
    ];
  }

  faultActions(): FaultAction[] {
    return [
      {
        action: "fail",
        label: "Fail next N requests",
        fields: [
          { name: "code", label: "code", type: "select", options: Object.keys(ERROR_CODES) },
          { name: "times", label: "N", type: "number", default: 1 },
          { name: "path", label: "only path (e.g. /message/send)", type: "text", optional: true },
        ],
      },
      ...consoleHttpFaultActions({ accountLabel: "user_id (empty = everyone)" }),
      { action: "clear", label: "Clear all faults", fields: [] },
    ];
  }

  applyFault(input: unknown): Record<string, unknown> {
    const cleaned = formFields(input);
    const shared = applyConsoleHttpFault(maximHttpFaults(this.maxim), cleaned, this.sink);
    if (shared) return shared;
    const body = parseOr400(FaultBody, cleaned);
    if (body.action === "clear") {
      maximHttpFaults(this.maxim).clear();
      this.maxim.admin.clearFaults();
      this.sink?.notice("MaxIM faults cleared");
    } else {
      this.maxim.admin.failNext(
        body.code,
        body.path === undefined ? { times: body.times } : { path: body.path, times: body.times },
      );
      this.sink?.notice(
        `next ${body.times} MaxIM request(s)${body.path ? ` to ${body.path}` : ""} answer code ${body.code}`,
      );
    }
    return { ok: true };
  }
}

function chatKey(m: MessageRecord): string {
  if (m.toType === 2) return `g:${m.to}`;
  return m.from < m.to ? `u:${m.from}:${m.to}` : `u:${m.to}:${m.from}`;
}
