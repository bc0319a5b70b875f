/**
 * MAX ⇄ the unified model (src/core/model.ts): pure conversions both ways (MaxAdapter in
 * ../adapter.ts drives them).
 *
 * Ids are namespaced `{platform:"max", account, id}`. Message refs carry the bare message id
 * (unique on the service); the chat travels next to it (`Message.chat`, `forward.chat`).
 * Attachment ids keep what MAX needs to send the bytes again: a photo's `photoToken`, a
 * file's `fileId`, a video's or voice's `<id>:<token>`.
 */
import { ValidationError } from "../../core/errors.js";
import {
  type AdapterCapabilities,
  type Attachment,
  type Chat,
  type ChatKind,
  type Event,
  type Message,
  type Ref,
  ref,
  type Segment,
  type User,
} from "../../core/model.js";
import type {
  MaxAttach,
  MaxChat,
  MaxElement,
  MaxEventMap,
  MaxEventName,
  MaxLink,
  MaxMessage,
  MaxUser,
} from "../client/types.js";
import { displayName } from "../client/types.js";
import { unifiedEvents } from "./events.js";

export const MAX_CAPABILITIES: AdapterCapabilities = {
  platform: "max",
  operations: { edit: true, delete: true, react: true, history: true },
  maxTextLength: 4000,
  segments: [
    "text",
    "mention",
    "link",
    "emoji",
    "image",
    "video",
    "audio",
    "file",
    "sticker",
    "location",
    "contact",
    "poll",
    "reply",
    "forward",
  ],
  events: [
    "message.created",
    "message.edited",
    "message.deleted",
    "reaction",
    "typing",
    "presence",
    "member.joined",
    "member.left",
    "chat.updated",
    "connection.state",
  ],
};

/** The outgoing message body MAX's 64 / 67 take. */
export interface MaxOutgoing {
  text: string;
  elements: MaxElement[];
  attaches: MaxAttach[];
  link?: MaxLink;
}

const STYLE_ELEMENTS = { bold: "STRONG", italic: "EMPHASIZED", code: "MONOSPACED" } as const;
const BOLD = new Set(["STRONG", "BOLD"]);
const ITALIC = new Set(["EMPHASIZED", "ITALIC"]);
const CODE = new Set(["MONOSPACED", "CODE", "PRE"]);
const LINK = new Set(["LINK", "URL"]);
const MENTION = new Set(["USER_MENTION", "MENTION"]);

function num(v: unknown): number | undefined {
  if (typeof v === "number" && Number.isFinite(v)) return v;
  if (typeof v === "string" && /^-?\d+(\.\d+)?$/.test(v)) return Number(v);
  return undefined;
}
function str(v: unknown): string | undefined {
  return typeof v === "string" ? v : typeof v === "number" ? String(v) : undefined;
}
function joinToken(id: unknown, token: unknown): string | undefined {
  const i = str(id);
  if (i === undefined) return undefined;
  return typeof token === "string" && token ? `${i}:${token}` : i;
}
function splitToken(id: string): { id: number; token?: string } {
  const at = id.indexOf(":");
  const head = at < 0 ? id : id.slice(0, at);
  const n = Number(head);
  if (!Number.isSafeInteger(n)) throw new ValidationError(`not a MAX media id: ${head}`, { platform: "max" });
  return at < 0 ? { id: n } : { id: n, token: id.slice(at + 1) };
}

export class MaxConverter {
  constructor(readonly account: string) {}

  ref(id: string | number): Ref {
    return ref("max", this.account, id);
  }

  // ── inbound ───────────────────────────────────────────────────────────────

  user(u: MaxUser): User {
    const user: User = { ref: this.ref(u.id), name: displayName(u) };
    if (typeof u.link === "string") user.username = u.link.replace(/^https?:\/\/max\.ru\//, "");
    if (typeof u.baseUrl === "string") user.avatarUrl = u.baseUrl;
    return user;
  }

  chat(c: MaxChat): Chat {
    const kind: ChatKind = c.type === "DIALOG" ? "direct" : c.type === "CHANNEL" ? "channel" : "group";
    const chat: Chat = { ref: this.ref(c.id), kind };
    if (c.title) chat.title = c.title;
    const count = c.participantsCount ?? (c.participants ? Object.keys(c.participants).length : undefined);
    if (count !== undefined) chat.memberCount = count;
    return chat;
  }

  message(m: MaxMessage): Message {
    const content = this.segments(m);
    const msg: Message = {
      ref: this.ref(m.id),
      chat: this.ref(m.chatId),
      author: this.ref(m.sender),
      time: m.time,
      content,
    };
    for (const s of content) {
      if (s.type === "reply") msg.replyTo = s.to;
      if (s.type === "forward") msg.forwarded = s.from;
    }
    if (m.status === "EDITED") msg.edited = true;
    if (m.status === "REMOVED") msg.deleted = true;
    return msg;
  }

  /** Text + elements, then the link (reply/forward), then one segment per attach. */
  segments(m: MaxMessage): Segment[] {
    const out: Segment[] = [];
    if (m.link?.type === "REPLY" && m.link.messageId !== undefined) {
      out.push({ type: "reply", to: this.ref(m.link.messageId) });
    }
    out.push(...this.textSegments(m.text, m.elements));
    if (m.link?.type === "FORWARD") {
      const ids = m.link.messageIds ?? (m.link.messageId !== undefined ? [m.link.messageId] : []);
      const nested = m.link.message?.id;
      const from = (ids.length ? ids : nested !== undefined ? [nested] : []).map((id) => this.ref(id));
      const seg: Segment = { type: "forward", from };
      const chatId = m.link.chatId ?? m.link.message?.chatId;
      if (chatId !== undefined && chatId !== 0) seg.chat = this.ref(chatId);
      out.push(seg);
      // The forwarded body is shown inline by MAX clients; keep its content too.
      if (m.link.message) out.push(...this.segments({ ...m.link.message, link: undefined }));
    }
    for (const a of m.attaches) {
      const s = this.attachSegment(a);
      if (s) out.push(s);
    }
    return out;
  }

  /** Splits `text` at element boundaries; each run becomes text, link or mention. */
  textSegments(text: string, elements: readonly MaxElement[]): Segment[] {
    if (!text) return [];
    const ranged = elements.filter(
      (e) =>
        typeof e.from === "number" && typeof e.length === "number" && e.length > 0 && e.from < text.length,
    );
    if (ranged.length === 0) return [{ type: "text", text }];
    const cuts = new Set<number>([0, text.length]);
    for (const e of ranged) {
      cuts.add(e.from!);
      cuts.add(Math.min(text.length, e.from! + e.length!));
    }
    const points = [...cuts].sort((a, b) => a - b);
    const out: Segment[] = [];
    for (let i = 0; i + 1 < points.length; i++) {
      const from = points[i]!;
      const to = points[i + 1]!;
      const piece = text.slice(from, to);
      const covering = ranged.filter((e) => e.from! <= from && e.from! + e.length! >= to);
      const mention = covering.find((e) => MENTION.has(e.type));
      const link = covering.find((e) => LINK.has(e.type));
      const mentionId = mention ? (num(mention.entityId) ?? num(mention.attributes?.userId)) : undefined;
      if (mention && mentionId !== undefined) {
        out.push({ type: "mention", user: this.ref(mentionId), text: piece });
        continue;
      }
      const url = link ? (str(link.attributes?.url) ?? str(link.url)) : undefined;
      if (link && url) {
        out.push({ type: "link", url, text: piece });
        continue;
      }
      const seg: Segment = { type: "text", text: piece };
      if (covering.some((e) => BOLD.has(e.type))) seg.bold = true;
      if (covering.some((e) => ITALIC.has(e.type))) seg.italic = true;
      if (covering.some((e) => CODE.has(e.type))) seg.code = true;
      // Merge with the previous run when the style is the same (elements of other kinds split runs).
      const prev = out[out.length - 1];
      if (
        prev?.type === "text" &&
        prev.bold === seg.bold &&
        prev.italic === seg.italic &&
        prev.code === seg.code
      ) {
        prev.text += piece;
      } else {
        out.push(seg);
      }
    }
    return out;
  }

  attachSegment(a: MaxAttach): Segment | undefined {
    const att = (fields: Attachment): Attachment => {
      const out: Attachment = {};
      for (const [k, v] of Object.entries(fields))
        if (v !== undefined) (out as Record<string, unknown>)[k] = v;
      return out;
    };
    const common = {
      url: str(a.url) ?? str(a.baseUrl),
      name: str(a.name),
      size: num(a.size),
      mimeType: str(a.mime) ?? str(a.mimeType),
    };
    switch (a._type) {
      case "PHOTO":
        return {
          type: "image",
          attachment: att({
            ...common,
            id: str(a.photoToken) ?? str(a.photoId),
            width: num(a.width),
            height: num(a.height),
          }),
        };
      case "VIDEO":
        return {
          type: "video",
          attachment: att({
            ...common,
            id: joinToken(a.videoId, a.token),
            width: num(a.width),
            height: num(a.height),
            durationMs: num(a.duration),
          }),
        };
      case "VOICE":
      case "AUDIO":
        return {
          type: "audio",
          voice: true,
          attachment: att({
            ...common,
            id: joinToken(a.voiceId ?? a.audioId ?? a.videoId, a.token),
            durationMs: num(a.duration),
          }),
        };
      case "FILE":
        return { type: "file", attachment: att({ ...common, id: str(a.fileId) }) };
      case "STICKER": {
        const seg: Segment = { type: "sticker", id: str(a.stickerId) ?? "" };
        if (common.url) seg.url = common.url;
        return seg;
      }
      case "LOCATION": {
        const lat = num(a.lat ?? a.latitude);
        const lon = num(a.lon ?? a.longitude);
        if (lat === undefined || lon === undefined) return undefined;
        const seg: Segment = { type: "location", lat, lon };
        const title = str(a.title);
        if (title) seg.title = title;
        return seg;
      }
      case "CONTACT": {
        const seg: Segment = { type: "contact" };
        const id = str(a.contactId);
        if (id) seg.user = this.ref(id);
        const name =
          str(a.name) ?? (str(a.firstName) ? [a.firstName, a.lastName].filter(Boolean).join(" ") : undefined);
        if (name) seg.name = name;
        const phone = str(a.phone);
        if (phone) seg.phone = phone;
        return seg;
      }
      case "POLL": {
        const options = Array.isArray(a.options)
          ? a.options.map((o) => (typeof o === "string" ? o : (str((o as { text?: unknown })?.text) ?? "")))
          : [];
        const seg: Segment = { type: "poll", question: str(a.question) ?? str(a.title) ?? "", options };
        if (typeof a.anonymous === "boolean") seg.anonymous = a.anonymous;
        if (typeof a.multipleChoice === "boolean") seg.multiple = a.multipleChoice;
        return seg;
      }
      default:
        // CONTROL (service messages), SHARE, CALL, keyboards: not content.
        return undefined;
    }
  }

  // ── outbound ──────────────────────────────────────────────────────────────

  /**
   * Unified content → MAX message body. Media segments must already carry a MAX id (upload
   * first: `MaxAdapter.send` does it for local paths); anything else is a ValidationError.
   */
  outgoing(content: readonly Segment[]): MaxOutgoing {
    let text = "";
    const elements: MaxElement[] = [];
    const attaches: MaxAttach[] = [];
    let link: MaxLink | undefined;
    const append = (piece: string, ...kinds: MaxElement[]) => {
      const from = text.length;
      text += piece;
      for (const k of kinds) if (piece.length) elements.push({ ...k, from, length: piece.length });
    };
    for (const s of content) {
      switch (s.type) {
        case "text": {
          const kinds: MaxElement[] = [];
          if (s.bold) kinds.push({ type: STYLE_ELEMENTS.bold });
          if (s.italic) kinds.push({ type: STYLE_ELEMENTS.italic });
          if (s.code) kinds.push({ type: STYLE_ELEMENTS.code });
          append(s.text, ...kinds);
          break;
        }
        case "link":
          append(s.text ?? s.url, { type: "LINK", attributes: { url: s.url } });
          break;
        case "mention":
          append(s.text ?? `@${s.user.id}`, {
            type: "USER_MENTION",
            entityId: this.bareNumber(s.user, "user"),
          });
          break;
        case "emoji":
          append(s.name && !/\p{Extended_Pictographic}/u.test(s.id) ? `:${s.name}:` : s.id);
          break;
        case "image":
          attaches.push({ _type: "PHOTO", photoToken: this.mediaId(s.attachment, "image") });
          break;
        case "video": {
          const { id, token } = splitToken(this.mediaId(s.attachment, "video"));
          attaches.push(token ? { _type: "VIDEO", videoId: id, token } : { _type: "VIDEO", videoId: id });
          break;
        }
        case "audio": {
          const { id, token } = splitToken(this.mediaId(s.attachment, "audio"));
          const a: MaxAttach = { _type: "VOICE", voiceId: id };
          if (token) a.token = token;
          if (s.attachment.durationMs !== undefined) a.duration = s.attachment.durationMs;
          attaches.push(a);
          break;
        }
        case "file":
          attaches.push({ _type: "FILE", fileId: splitToken(this.mediaId(s.attachment, "file")).id });
          break;
        case "sticker":
          attaches.push({ _type: "STICKER", stickerId: splitToken(s.id).id });
          break;
        case "location":
          attaches.push({ _type: "LOCATION", lat: s.lat, lon: s.lon });
          break;
        case "contact": {
          if (!s.user) throw new ValidationError("MAX contact attaches need a user ref", { platform: "max" });
          const a: MaxAttach = { _type: "CONTACT", contactId: this.bareNumber(s.user, "contact") };
          if (s.name) a.name = s.name;
          if (s.phone) a.phone = s.phone;
          attaches.push(a);
          break;
        }
        case "poll":
          attaches.push({
            _type: "POLL",
            question: s.question,
            options: s.options.map((text) => ({ text })),
            anonymous: s.anonymous ?? false,
            multipleChoice: s.multiple ?? false,
          });
          break;
        case "reply":
          link = { type: "REPLY", messageId: this.own(s.to).id };
          break;
        case "forward": {
          if (!s.chat) throw new ValidationError("forwarding needs the source chat", { platform: "max" });
          link = {
            type: "FORWARD",
            chatId: this.bareNumber(s.chat, "chat"),
            messageIds: s.from.map((r) => this.own(r).id),
          };
          break;
        }
      }
    }
    const out: MaxOutgoing = { text, elements, attaches };
    if (link) out.link = link;
    return out;
  }

  /** Refs from another platform or account can't be used on this one. */
  own(r: Ref): Ref {
    if (r.platform !== "max" || r.account !== this.account) {
      throw new ValidationError(
        `ref ${r.platform}:${r.account}:${r.id} does not belong to MAX account ${this.account}`,
        {
          platform: "max",
        },
      );
    }
    return r;
  }

  bareNumber(r: Ref, what: string): number {
    const n = Number(this.own(r).id);
    if (!Number.isSafeInteger(n))
      throw new ValidationError(`not a MAX ${what} id: ${r.id}`, { platform: "max" });
    return n;
  }

  private mediaId(a: Attachment, what: string): string {
    if (!a.id) {
      throw new ValidationError(
        `${what} segment has no MAX id: upload it first (MaxAdapter.send uploads local files)`,
        {
          platform: "max",
        },
      );
    }
    return a.id;
  }

  // ── events ──────────────────────────────────────────────────────────────

  /** One client event → zero or more unified events (./events.ts). */
  events<K extends MaxEventName>(type: K, data: MaxEventMap[K]): Event[] {
    return unifiedEvents(this, type, data);
  }
}
