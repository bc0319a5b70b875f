import {
  type ConsoleAccount,
  type ConsoleAttachment,
  type ConsoleChat,
  ConsoleError,
  type ConsoleFile,
  type ConsoleInboxItem,
  type ConsoleMessage,
  type ConsoleProvider,
  type ConsoleSink,
  type ConsoleTable,
  type FaultAction,
} from "../../core/emulator/console.js";
import { Opcode } from "../protocol.js";
import { AdminError } from "./admin.js";
import type { MaxTrafficRecord } from "./connection.js";
import { applyMaxFault, maxFaultActions } from "./console-faults.js";
import { authState, type QrFlow } from "./handlers/auth.js";
import type { MaxEmulatorServer } from "./server.js";
import type { ChatRow } from "./store/chats.js";
import type { FileRow } from "./store/files.js";

/** Inbox entries kept (oldest dropped first). */
const INBOX_LIMIT = 200;

/** Answers (cmd 1) and pushes of these opcodes change what the console shows. */
const CHANGING = new Set<number>([
  Opcode.SEND_MESSAGE,
  Opcode.EDIT_MESSAGE,
  Opcode.DELETE_MESSAGE,
  Opcode.NEW_MESSAGE,
  Opcode.CHAT_UPDATED,
  Opcode.CHAT_LEAVE,
  Opcode.LEAVE_CHAT,
  Opcode.MANAGE_MEMBERS,
  Opcode.JOIN_BY_LINK,
  Opcode.REACTIONS_CHANGED,
  Opcode.VERIFY_CODE,
  Opcode.LOGIN_BY_TOKEN,
  Opcode.QR_FINISH,
]);

interface UserLite {
  id: number;
  phone: string;
  first_name: string;
  last_name: string;
}

/** Attaches that point at stored files, and the field that names the file. */
const FILE_ATTACHES: Record<string, string[]> = {
  VIDEO: ["videoId"],
  FILE: ["fileId"],
  AUDIO: ["audioId", "voiceId", "videoId"],
  VOICE: ["voiceId", "audioId"],
};

function asError(err: unknown): never {
  if (err instanceof AdminError) throw new ConsoleError(err.status, err.message);
  throw err;
}

function userId(value: string, what = "account"): number {
  const id = Number(value);
  if (!Number.isSafeInteger(id) || id <= 0) throw new ConsoleError(400, `${what} must be a MAX user id`);
  return id;
}

function chatKind(type: ChatRow["type"]): ConsoleChat["kind"] {
  return type === "DIALOG" ? "direct" : type === "CHANNEL" ? "channel" : "group";
}

/**
 * The MAX emulator in the console: every account, chat and message from its store; writing as
 * any user through MaxAdmin; SMS codes and QR logins in the inbox; uploaded files; every packet
 * in the inspector (from the emulator's traffic tap, secrets already masked); faults.
 */
export class MaxConsoleProvider implements ConsoleProvider {
  readonly id = "max";
  readonly title = "MAX";
  private sink: ConsoleSink | undefined;
  private untap: (() => void) | undefined;
  private readonly inboxItems: ConsoleInboxItem[] = [];
  /** Each QR item's flow, as the emulator updates it (confirmed by anyone, used by 291, then dropped). */
  private readonly qrFlows = new Map<string, QrFlow>();
  private readonly q;

  constructor(private readonly max: MaxEmulatorServer) {
    const { repos } = max.emu;
    this.q = {
      users: () => repos.users.listForConsole(),
      chats: () => repos.chats.recent(),
      files: () => repos.files.recentComplete(),
    };
  }

  url(): string {
    return this.max.httpUrl.replace(/^http/, "ws") + "/websocket";
  }

  attach(sink: ConsoleSink): void {
    this.sink = sink;
  }

  setTraffic(on: boolean): void {
    if (on && !this.untap) this.untap = this.max.traffic.subscribe((r) => this.onPacket(r));
    if (!on && this.untap) {
      this.untap();
      this.untap = undefined;
    }
  }

  private onPacket(r: MaxTrafficRecord): void {
    const sink = this.sink;
    if (!sink) return;
    sink.traffic({
      platform: this.id,
      dir: r.dir,
      time: r.time,
      size: r.size,
      account: r.userId === undefined ? undefined : String(r.userId),
      conn: String(r.connId),
      opcode: r.opcode,
      opcodeName: r.opcodeName,
      summary: `cmd ${r.cmd ?? "?"} seq ${r.seq ?? "?"}`,
      payload: r.payload,
    });
    if (r.dir === "out" && r.cmd === 1 && r.opcode !== undefined && CHANGING.has(r.opcode)) {
      const p = r.payload as { chatId?: unknown; chat?: { id?: unknown } } | undefined;
      const chatId = p?.chatId ?? p?.chat?.id;
      sink.changed(typeof chatId === "number" ? { chatId: String(chatId) } : {});
    }
  }

  /** From the emulator's hook: an SMS code was "sent". */
  onSms(phone: string, code: string): void {
    this.addInbox({
      id: `sms:${phone}:${this.max.emu.now()}`,
      platform: this.id,
      kind: "sms",
      time: this.max.emu.now(),
      to: phone,
      value: code,
      status: "new",
    });
  }

  /** From the emulator's hook: a client asked for a QR login. */
  onQrRequested(trackId: string, qrLink: string): void {
    const flow = authState(this.max.emu).qr.get(trackId);
    if (flow) this.qrFlows.set(trackId, flow);
    this.addInbox({
      id: `qr:${trackId}`,
      platform: this.id,
      kind: "qr",
      time: this.max.emu.now(),
      to: "QR login",
      value: qrLink,
      status: "pending",
      confirmable: true,
    });
  }

  private addInbox(item: ConsoleInboxItem): void {
    this.inboxItems.push(item);
    if (this.inboxItems.length > INBOX_LIMIT)
      for (const gone of this.inboxItems.splice(0, this.inboxItems.length - INBOX_LIMIT))
        this.qrFlows.delete(gone.id.slice(3));
    this.sink?.inbox(item);
  }

  private names(): Map<number, UserLite> {
    const map = new Map<number, UserLite>();
    for (const u of this.q.users()) map.set(u.id, u);
    return map;
  }

  accounts(): ConsoleAccount[] {
    const { hub } = this.max.emu;
    return this.q.users().map((u) => ({
      id: String(u.id),
      name: `${u.first_name} ${u.last_name}`.trim(),
      // Bots (Bot API) have no phone: their phone column is a `bot:<id>` placeholder.
      detail: u.phone.startsWith("bot:") ? "bot" : u.phone,
      online: hub.isOnline(u.id),
    }));
  }

  chats(as?: string): ConsoleChat[] {
    const { chats } = this.max.emu.repos;
    const viewer = as ? userId(as) : undefined;
    const rows =
      viewer === undefined ? this.q.chats() : chats.chatsOf(viewer, Number.MAX_SAFE_INTEGER, -1, 500);
    const names = this.names();
    const nameOf = (id: number) => {
      const u = names.get(id);
      return u ? `${u.first_name} ${u.last_name}`.trim() : `user ${id}`;
    };
    return rows.map((c) => {
      let title = c.title ?? "";
      if (c.type === "DIALOG") {
        const ids = chats.memberIds(c.id);
        const others = viewer === undefined ? ids : ids.filter((id) => id !== viewer);
        title = (others.length ? others : ids).map(nameOf).join(" ↔ ");
      }
      return {
        id: String(c.id),
        kind: chatKind(c.type),
        title: title || `chat ${c.id}`,
        members: chats.countMembers(c.id),
        lastActivity: c.last_event_time,
      };
    });
  }

  messages(chatIdText: string, options: { as?: string; limit: number }): ConsoleMessage[] {
    const { chats, messages } = this.max.emu.repos;
    const chatId = Number(chatIdText);
    if (!Number.isSafeInteger(chatId) || !chats.byId(chatId))
      throw new ConsoleError(404, `no MAX chat ${chatIdText}`);
    let viewer = { userId: 0, historyFrom: 0 };
    if (options.as) {
      const uid = userId(options.as);
      const member = chats.member(chatId, uid);
      if (!member) throw new ConsoleError(403, `user ${uid} is not a member of chat ${chatId}`);
      viewer = { userId: uid, historyFrom: member.history_from };
    }
    const names = this.names();
    return messages.history(chatId, viewer, Number.MAX_SAFE_INTEGER, options.limit, 0).map((row) => {
      const wire = messages.toWire(row);
      const u = names.get(row.sender_id);
      return {
        id: wire.id,
        chatId: chatIdText,
        authorId: String(row.sender_id),
        authorName: u ? `${u.first_name} ${u.last_name}`.trim() : `user ${row.sender_id}`,
        time: row.time,
        text: wire.text,
        edited: wire.status === "EDITED",
        attachments: wire.attaches.map((a) => this.attachment(a)),
      };
    });
  }

  private attachment(a: Record<string, unknown>): ConsoleAttachment {
    const type = String(a._type ?? "UNKNOWN");
    const { files } = this.max.emu.repos;
    let row: FileRow | undefined;
    if (type === "PHOTO" && typeof a.photoToken === "string") row = files.byToken(a.photoToken);
    for (const key of FILE_ATTACHES[type] ?? []) {
      if (row) break;
      const id = Number(a[key]);
      if (Number.isSafeInteger(id) && id > 0) row = files.byId(id);
    }
    if (type === "CONTROL") return { type, name: String(a.event ?? "event") };
    if (row?.state !== "COMPLETE") return { type, name: typeof a.name === "string" ? a.name : undefined };
    return { type, name: row.name, mime: row.mime, previewUrl: this.previewUrl(row.id) };
  }

  private previewUrl(id: number): string {
    return `/_sandbox/console/max/files/${id}`;
  }

  send(input: { as: string; chatId?: string; to?: string; text: string }): {
    chatId: string;
    messageId: string;
  } {
    const fromUserId = userId(input.as, "as");
    try {
      const r =
        input.chatId !== undefined
          ? this.max.admin.sendMessage({ fromUserId, chatId: Number(input.chatId), text: input.text })
          : this.max.admin.sendMessage({
              fromUserId,
              toUserId: userId(input.to ?? "", "to"),
              text: input.text,
            });
      this.sink?.changed({ chatId: String(r.chatId) });
      return { chatId: String(r.chatId), messageId: r.messageId };
    } catch (err) {
      asError(err);
    }
  }

  createChat(input: { as: string; kind: "group" | "channel"; title: string; members: string[] }): {
    chatId: string;
  } {
    try {
      const r = this.max.admin.createChat({
        ownerId: userId(input.as, "as"),
        type: input.kind === "channel" ? "CHANNEL" : "CHAT",
        title: input.title,
        memberIds: input.members.map((m) => userId(m, "members")),
      });
      this.sink?.changed({ chatId: String(r.chatId) });
      return { chatId: String(r.chatId) };
    } catch (err) {
      asError(err);
    }
  }

  inbox(): ConsoleInboxItem[] {
    const now = this.max.emu.now();
    return this.inboxItems.map((item) => {
      if (item.kind !== "qr")
        return { ...item, status: now - item.time > 10 * 60_000 ? "expired" : item.status };
      const status = qrStatus(this.qrFlows.get(item.id.slice(3)), now);
      return { ...item, status, confirmable: status === "pending" };
    });
  }

  confirm(itemId: string, as: string): void {
    if (!itemId.startsWith("qr:")) throw new ConsoleError(400, "only QR logins can be confirmed");
    const trackId = itemId.slice(3);
    try {
      this.max.admin.confirmQr(trackId, userId(as, "as"));
    } catch (err) {
      asError(err);
    }
    const item = this.inbox().find((i) => i.id === itemId);
    if (item) this.sink?.inbox(item);
  }

  files(): ConsoleFile[] {
    return this.q.files().map((f) => ({
      id: String(f.id),
      name: f.name,
      mime: f.mime,
      size: f.size,
      ownerId: String(f.owner_id),
      time: f.completed_at ?? f.created_at,
      previewUrl: this.previewUrl(f.id),
    }));
  }

  file(id: string): { path: string; mime: string; name: string; size: number } | undefined {
    const n = Number(id);
    const row = Number.isSafeInteger(n) ? this.max.emu.repos.files.byId(n) : undefined;
    if (row?.state !== "COMPLETE" || !row.path) return undefined;
    return { path: row.path, mime: row.mime, name: row.name, size: row.size };
  }

  tables(): ConsoleTable[] {
    const rows: Record<string, unknown>[] = [];
    for (const c of this.max.emu.hub.connections()) {
      rows.push({
        connection: c.id,
        user: c.userId ?? "",
        state: c.state,
        device: [c.deviceType, c.deviceName].filter(Boolean).join(" "),
        app: c.appVersion,
        remote: c.remote,
        idle: `${Math.round((this.max.emu.now() - c.lastKeepalive) / 1000)} s`,
      });
    }
    return [
      {
        id: "connections",
        title: "Connections",
        columns: ["connection", "user", "state", "device", "app", "remote", "idle"],
        rows,
      },
      {
        // One row per fault in force: used-up failures and expired delays or limits are gone.
        id: "faults",
        title: "Active faults",
        columns: ["kind", "user", "detail", "remaining", "until"],
        rows: this.max.emu.faults.active().map((f) => ({
          kind: f.kind,
          user: f.userId ?? "everyone",
          detail: f.detail,
          remaining: f.remaining ?? "",
          until: f.until === undefined ? "" : new Date(f.until).toISOString(),
        })),
      },
    ];
  }

  faultActions(): FaultAction[] {
    return maxFaultActions();
  }

  applyFault(input: unknown): Record<string, unknown> {
    const { result, notice } = applyMaxFault(this.max.admin, input);
    this.sink?.notice(notice);
    return result;
  }
}

/** A QR login as the inbox shows it: confirmed (or used) by anyone, still waiting, or expired. */
function qrStatus(flow: QrFlow | undefined, now: number): ConsoleInboxItem["status"] {
  if (!flow) return "expired";
  if (flow.used) return "confirmed";
  if (flow.expiresAt <= now) return "expired";
  return flow.userId === undefined ? "pending" : "confirmed";
}
