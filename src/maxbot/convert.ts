/**
 * Conversions between MAX Bot API objects and the unified model (the MaxBotAdapter is built on
 * them): users, chats, messages (text + markup + attachments ↔ segments), updates → events with
 * stable ids, and segments → the body of `POST /messages`.
 */
import type { AdapterEvent } from "../core/adapter.js";
import type {
  AdapterCapabilities,
  Chat,
  ChatKind,
  Message,
  Ref,
  Segment,
  Attachment as UnifiedAttachment,
  User,
} from "../core/model.js";
import { ref } from "../core/model.js";
import type {
  Attachment,
  BotChat,
  BotMessage,
  BotUser,
  MarkupElement,
  NewMessageBody,
  Update,
} from "./protocol.js";

/** Longest text of one message (the platform's limit). */
export const MAX_TEXT_LENGTH = 4000;

/** What the Bot API can carry and do: no reactions; edits, deletes and history yes. */
export const capabilities: AdapterCapabilities = {
  platform: "maxbot",
  segments: [
    "text",
    "mention",
    "link",
    "image",
    "video",
    "audio",
    "file",
    "sticker",
    "location",
    "contact",
    "reply",
    "forward",
  ],
  events: [
    "message.created",
    "message.edited",
    "message.deleted",
    "member.joined",
    "member.left",
    "chat.updated",
    "connection.state",
  ],
  operations: { edit: true, delete: true, react: false, history: true },
  maxTextLength: MAX_TEXT_LENGTH,
};

const r = (account: string, id: string | number): Ref => ref("maxbot", account, id);

export function userName(u: {
  first_name: string;
  last_name?: string | null | undefined;
  username?: string | null | undefined;
}) {
  return [u.first_name, u.last_name].filter((s) => s).join(" ") || u.username || "";
}

export function toUser(account: string, u: BotUser & { avatar_url?: string | null | undefined }): User {
  const out: User = { ref: r(account, u.user_id), name: userName(u) || String(u.user_id), isBot: u.is_bot };
  if (u.username) out.username = u.username;
  if (u.avatar_url) out.avatarUrl = u.avatar_url;
  return out;
}

const KINDS: Record<BotChat["type"], ChatKind> = { dialog: "direct", chat: "group", channel: "channel" };

export function toChat(account: string, c: BotChat): Chat {
  const out: Chat = { ref: r(account, c.chat_id), kind: KINDS[c.type] };
  const title =
    c.title ?? (c.dialog_with_user ? userName(c.dialog_with_user) || undefined : undefined) ?? undefined;
  if (title) out.title = title;
  out.memberCount = c.participants_count;
  return out;
}

// ------------------------------------------------------------------ messages

function attachmentSegment(a: Attachment): Segment | undefined {
  switch (a.type) {
    case "image":
      return { type: "image", attachment: { id: a.payload.token, url: a.payload.url } };
    case "video": {
      const att: UnifiedAttachment = { id: a.payload.token, url: a.payload.url };
      if (a.width) att.width = a.width;
      if (a.height) att.height = a.height;
      if (a.duration) att.durationMs = a.duration * 1000;
      return { type: "video", attachment: att };
    }
    case "audio":
      return { type: "audio", attachment: { id: a.payload.token, url: a.payload.url } };
    case "file":
      return {
        type: "file",
        attachment: { id: a.payload.token, url: a.payload.url, name: a.filename, size: a.size },
      };
    case "sticker":
      return { type: "sticker", id: a.payload.code, url: a.payload.url };
    case "location":
      return { type: "location", lat: a.latitude, lon: a.longitude };
    case "contact": {
      const seg: Segment = { type: "contact" };
      const info = a.payload.max_info;
      if (info) seg.name = userName(info);
      const phone = /TEL[^:]*:([^\r\n]+)/.exec(a.payload.vcf_info ?? "")?.[1];
      if (phone) seg.phone = phone.trim();
      return seg;
    }
    case "share":
      return a.payload.url
        ? { type: "link", url: a.payload.url, ...(a.title ? { text: a.title } : {}) }
        : undefined;
    default:
      // Keyboards and data attachments are not content.
      return undefined;
  }
}

/** Text + markup → text, mention and link segments (markup ranges in UTF-16 units, as JS strings). */
export function textSegments(
  account: string,
  text: string,
  markup: readonly MarkupElement[] = [],
): Segment[] {
  if (text === "") return [];
  const cuts = new Set<number>([0, text.length]);
  const spans = markup
    .map((m) => ({ m, from: Math.max(0, m.from), to: Math.min(text.length, m.from + m.length) }))
    .filter((s) => s.to > s.from);
  for (const s of spans) cuts.add(s.from).add(s.to);
  const points = [...cuts].sort((a, b) => a - b);
  const out: Segment[] = [];
  const claimed = new Set<MarkupElement>();
  for (let i = 0; i + 1 < points.length; i++) {
    const from = points[i] as number;
    const to = points[i + 1] as number;
    const piece = text.slice(from, to);
    const here = spans.filter((s) => s.from <= from && s.to >= to).map((s) => s.m);
    const entity = here.find((m) => m.type === "link" || m.type === "user_mention");
    if (entity) {
      // A link or mention is one segment over its whole range, styles inside it dropped.
      if (claimed.has(entity)) continue;
      claimed.add(entity);
      const whole = text.slice(Math.max(0, entity.from), entity.from + entity.length);
      if (entity.type === "link" && entity.url) out.push({ type: "link", url: entity.url, text: whole });
      else if (entity.type === "user_mention" && typeof entity.user_id === "number")
        out.push({ type: "mention", user: r(account, entity.user_id), text: whole });
      else out.push({ type: "text", text: whole });
      continue;
    }
    const seg: Segment = { type: "text", text: piece };
    if (here.some((m) => m.type === "strong")) seg.bold = true;
    if (here.some((m) => m.type === "emphasized")) seg.italic = true;
    if (here.some((m) => m.type === "monospaced")) seg.code = true;
    out.push(seg);
  }
  return out;
}

/** A Bot API message → unified Message (its ref is the `mid`, its chat the recipient's chat id). */
export function toMessage(account: string, m: BotMessage): Message {
  const content: Segment[] = [];
  if (m.link?.type === "forward") {
    const seg: Segment = { type: "forward", from: [r(account, m.link.message.mid)] };
    if (typeof m.link.chat_id === "number") seg.chat = r(account, m.link.chat_id);
    content.push(seg);
    content.push(...textSegments(account, m.link.message.text ?? "", m.link.message.markup ?? []));
    for (const a of m.link.message.attachments ?? []) {
      const s = attachmentSegment(a);
      if (s) content.push(s);
    }
  }
  for (const a of m.body.attachments ?? []) {
    const s = attachmentSegment(a);
    if (s) content.push(s);
  }
  content.push(...textSegments(account, m.body.text ?? "", m.body.markup ?? []));
  if (content.length === 0) content.push({ type: "text", text: "" });
  const chatId = m.recipient.chat_id ?? m.recipient.user_id ?? 0;
  const out: Message = {
    ref: r(account, m.body.mid),
    chat: r(account, chatId),
    author: r(account, m.sender?.user_id ?? 0),
    time: m.timestamp,
    content,
  };
  if (m.link?.type === "reply") out.replyTo = r(account, m.link.message.mid);
  if (m.link?.type === "forward") out.forwarded = [r(account, m.link.message.mid)];
  return out;
}

// ------------------------------------------------------------------ sending

const escapeHtml = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

function mediaRequest(type: "image" | "video" | "audio" | "file", a: UnifiedAttachment) {
  if (a.id) return { type, payload: { token: a.id } };
  if (type === "image" && a.url) return { type, payload: { url: a.url } };
  return undefined;
}

/**
 * Segments → the body of `POST /messages`: styled text becomes HTML (`format: "html"`), media
 * segments become attachments by their upload token (`attachment.id`) or, for images, their URL;
 * a reply or forward becomes `link`. What the Bot API cannot carry degrades to text.
 */
export function fromSegments(segments: readonly Segment[], replyTo?: string): NewMessageBody {
  let html = false;
  const parts: { plain: string; html: string }[] = [];
  const attachments: NonNullable<NewMessageBody["attachments"]> = [];
  let link: NewMessageBody["link"];
  const text = (plain: string, marked = escapeHtml(plain)) => parts.push({ plain, html: marked });
  for (const s of segments) {
    switch (s.type) {
      case "text": {
        let marked = escapeHtml(s.text);
        if (s.code) marked = `<code>${marked}</code>`;
        if (s.italic) marked = `<i>${marked}</i>`;
        if (s.bold) marked = `<b>${marked}</b>`;
        if (s.bold || s.italic || s.code) html = true;
        text(s.text, marked);
        break;
      }
      case "mention":
        text(s.text ?? `@${s.user.id}`);
        break;
      case "link":
        if (s.text && s.text !== s.url) {
          html = true;
          text(`${s.text} (${s.url})`, `<a href="${escapeHtml(s.url)}">${escapeHtml(s.text)}</a>`);
        } else text(s.url);
        break;
      case "emoji":
        text(s.name ?? "");
        break;
      case "image":
      case "video":
      case "audio":
      case "file": {
        const a = mediaRequest(s.type, s.attachment);
        if (a) attachments.push(a);
        else if (s.attachment.url) text(s.attachment.url);
        break;
      }
      case "sticker":
        attachments.push({ type: "sticker", payload: { code: s.id } });
        break;
      case "location":
        attachments.push({ type: "location", latitude: s.lat, longitude: s.lon });
        if (s.title) text(s.title);
        break;
      case "contact":
        attachments.push({
          type: "contact",
          payload: {
            name: s.name ?? null,
            contact_id: s.user ? Number(s.user.id) : null,
            vcf_phone: s.phone ?? null,
          },
        });
        break;
      case "poll":
        text(`${s.question}\n${s.options.map((o) => `- ${o}`).join("\n")}`);
        break;
      case "reply":
        link ??= { type: "reply", mid: s.to.id };
        break;
      case "forward":
        if (s.from[0]) link ??= { type: "forward", mid: s.from[0].id };
        break;
    }
  }
  if (replyTo !== undefined) link = { type: "reply", mid: replyTo };
  const body: NewMessageBody = {
    text: parts.map((p) => (html ? p.html : p.plain)).join(""),
  };
  if (html) body.format = "html";
  if (attachments.length) body.attachments = attachments;
  if (link) body.link = link;
  return body;
}

// ------------------------------------------------------------------ updates

/**
 * A stable key per update, the same on every re-delivery: the Bot API gives updates no id of
 * their own, so it is the message id, the callback id, or type + chat + user + time.
 */
export function updateKey(u: Update): string {
  switch (u.update_type) {
    case "message_created":
      return `message_created:${u.message.body.mid}`;
    case "message_edited":
      return `message_edited:${u.message.body.mid}:${u.timestamp}`;
    case "message_callback":
      return `message_callback:${u.callback.callback_id}`;
    case "message_removed":
      return `message_removed:${u.message_id}`;
    default: {
      const o = u as { chat_id?: unknown; user?: { user_id?: unknown } | null };
      return `${u.update_type}:${String(o.chat_id ?? "")}:${String(o.user?.user_id ?? "")}:${u.timestamp}`;
    }
  }
}

/** The unified events of one update (none for types the model has no event for). */
export function updateEvents(account: string, u: Update): AdapterEvent[] {
  const id = updateKey(u);
  switch (u.update_type) {
    case "message_created":
      return [{ type: "message.created", message: toMessage(account, u.message), id }];
    case "message_edited":
      return [{ type: "message.edited", message: { ...toMessage(account, u.message), edited: true }, id }];
    case "message_removed":
      return [
        {
          type: "message.deleted",
          chat: r(account, u.chat_id),
          message: r(account, u.message_id),
          id,
        },
      ];
    case "user_added":
    case "bot_added":
      return [{ type: "member.joined", chat: r(account, u.chat_id), user: r(account, u.user.user_id), id }];
    case "user_removed":
    case "bot_removed":
      return [{ type: "member.left", chat: r(account, u.chat_id), user: r(account, u.user.user_id), id }];
    case "chat_title_changed":
      return [
        { type: "chat.updated", chat: { ref: r(account, u.chat_id), kind: "group", title: u.title }, id },
      ];
    default:
      return [];
  }
}
