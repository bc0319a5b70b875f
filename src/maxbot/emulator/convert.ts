/**
 * MAX world objects ↔ Bot API objects. Ids: chat and user ids are MAX's; a message's `mid` is
 * "mid." + 16 hex digits of the chat id (64-bit two's complement) + 16 hex digits of the MAX
 * message id, and `body.seq` is the MAX message id. Markup elements and attaches are mapped
 * between the user API's uppercase `_type` / `type` shapes and the Bot API's snake_case ones.
 */
import type {
  Attachment,
  AttachmentRequest,
  BotInfo,
  Button,
  Chat,
  ChatMember,
  LinkedMessage,
  MarkupElement,
  Message,
  MessageBody,
  User,
  UserWithPhoto,
} from "../protocol.js";
import type { MaxBotContext } from "./context.js";
import { badRequest } from "./errors.js";
import { attachmentFromToken } from "./handlers/uploads.js";
import type { MaxBotWorld, WorldChat, WorldMember, WorldMessage, WorldUser } from "./world.js";

// ------------------------------------------------------------------ ids

const MID = /^mid\.([0-9a-f]{16})([0-9a-f]{16})$/;

export function encodeMid(chatId: number, messageId: number): string {
  const hex = (n: number) => BigInt.asUintN(64, BigInt(n)).toString(16).padStart(16, "0");
  return `mid.${hex(chatId)}${hex(messageId)}`;
}

/** The MAX chat and message a `mid` names, or undefined when it is not one of ours. */
export function decodeMid(mid: string): { chatId: number; messageId: number } | undefined {
  const m = MID.exec(mid.toLowerCase());
  if (!m) return undefined;
  const chatId = Number(BigInt.asIntN(64, BigInt(`0x${m[1]}`)));
  const messageId = Number(BigInt.asIntN(64, BigInt(`0x${m[2]}`)));
  if (!Number.isSafeInteger(chatId) || !Number.isSafeInteger(messageId)) return undefined;
  return { chatId, messageId };
}

// ------------------------------------------------------------------ users and chats

export function toBotUser(u: WorldUser): User {
  const name = [u.firstName, u.lastName].filter((s) => s !== "").join(" ");
  return {
    user_id: u.userId,
    first_name: u.firstName,
    last_name: u.lastName === "" ? null : u.lastName,
    name,
    username: u.username,
    is_bot: u.isBot,
    last_activity_time: u.lastActivityTime,
  };
}

/** A user known only by id (deleted since): still a well-formed User. */
function unknownUser(userId: number): User {
  return {
    user_id: userId,
    first_name: "",
    last_name: null,
    name: "",
    username: null,
    is_bot: false,
    last_activity_time: 0,
  };
}

export function botUserById(world: MaxBotWorld, userId: number): User {
  const u = world.user(userId);
  return u ? toBotUser(u) : unknownUser(userId);
}

export function toUserWithPhoto(u: WorldUser): UserWithPhoto {
  const out: UserWithPhoto = { ...toBotUser(u), description: u.description };
  if (u.avatarUrl) {
    out.avatar_url = u.avatarUrl;
    out.full_avatar_url = u.avatarUrl;
  }
  return out;
}

export function toBotInfo(u: WorldUser, commands: { name: string; description?: string | null }[]): BotInfo {
  return { ...toUserWithPhoto(u), commands: commands.length > 0 ? commands : null };
}

export function toChatMember(m: WorldMember): ChatMember {
  return {
    ...toUserWithPhoto(m),
    last_access_time: m.lastAccessTime,
    is_owner: m.isOwner,
    is_admin: m.isAdmin || m.isOwner,
    join_time: m.joinTime,
    permissions: m.isAdmin || m.isOwner ? [...ADMIN_PERMISSIONS] : null,
    alias: null,
  };
}

const ADMIN_PERMISSIONS = [
  "read_all_messages",
  "add_remove_members",
  "add_admins",
  "change_chat_info",
  "pin_message",
  "write",
] as const;

const CHAT_STATUS: Record<string, Chat["status"]> = {
  ACTIVE: "active",
  REMOVED: "removed",
  LEFT: "left",
  CLOSED: "closed",
  SUSPENDED: "suspended",
};

export function chatLinkUrl(link: string): string {
  return `https://max.ru/${link}`;
}

/** The chat as `viewerId` (a bot) sees it. `full` adds what only a single-chat read returns. */
export function toBotChat(world: MaxBotWorld, c: WorldChat, viewerId: number, full = false): Chat {
  const chat: Chat = {
    chat_id: c.chatId,
    type: c.type === "DIALOG" ? "dialog" : c.type === "CHANNEL" ? "channel" : "chat",
    status: CHAT_STATUS[c.status] ?? "active",
    title: c.title,
    icon: c.iconUrl ? { url: c.iconUrl } : null,
    last_event_time: c.lastEventTime,
    participants_count: c.type === "DIALOG" ? 2 : c.participantsCount,
    owner_id: c.type === "DIALOG" ? null : c.ownerId,
    participants: null,
    is_public: c.type !== "DIALOG" && c.link !== null,
    link: c.link ? chatLinkUrl(c.link) : null,
    description: c.description,
    messages_count: null,
  };
  if (c.type === "DIALOG" && c.dialogWithUserId !== null) {
    const other = world.user(c.dialogWithUserId);
    chat.dialog_with_user = other ? toUserWithPhoto(other) : { ...unknownUser(c.dialogWithUserId) };
  }
  if (full && c.pinnedMessageId !== null) {
    const pinned = world.message(c.chatId, c.pinnedMessageId, viewerId);
    chat.pinned_message = pinned ? toBotMessage(world, pinned, viewerId) : null;
  }
  return chat;
}

// ------------------------------------------------------------------ markup

const TO_BOT_MARKUP: Record<string, MarkupElement["type"]> = {
  STRONG: "strong",
  BOLD: "strong",
  EMPHASIZED: "emphasized",
  ITALIC: "emphasized",
  MONOSPACED: "monospaced",
  CODE: "monospaced",
  PRE: "monospaced",
  LINK: "link",
  STRIKETHROUGH: "strikethrough",
  UNDERLINE: "underline",
  USER_MENTION: "user_mention",
  HEADING: "heading",
  HIGHLIGHTED: "highlighted",
  QUOTE: "quote",
};

interface MaxElement {
  type?: unknown;
  from?: unknown;
  length?: unknown;
  entityId?: unknown;
  attributes?: { url?: unknown; userId?: unknown } | null;
}

export function toBotMarkup(elements: unknown[]): MarkupElement[] {
  const out: MarkupElement[] = [];
  for (const raw of elements) {
    const e = raw as MaxElement;
    const type = typeof e.type === "string" ? TO_BOT_MARKUP[e.type] : undefined;
    if (!type || typeof e.from !== "number" || typeof e.length !== "number") continue;
    const m: MarkupElement = { type, from: e.from, length: e.length };
    if (type === "link" && typeof e.attributes?.url === "string") m.url = e.attributes.url;
    if (type === "user_mention") {
      const id = typeof e.entityId === "number" ? e.entityId : e.attributes?.userId;
      if (typeof id === "number") m.user_id = id;
    }
    out.push(m);
  }
  return out;
}

// ------------------------------------------------------------------ attachments

const lower = (v: unknown) => (typeof v === "string" ? v.toLowerCase() : "default");
const str = (v: unknown) => (typeof v === "string" ? v : typeof v === "number" ? String(v) : "");
const num = (v: unknown) => (typeof v === "number" && Number.isFinite(v) ? v : 0);

function toBotButton(raw: Record<string, unknown>): Button | undefined {
  const type = lower(raw.type);
  const text = str(raw.text);
  switch (type) {
    case "callback": {
      const b: Button = { type, text, payload: str(raw.payload) };
      if (typeof raw.intent === "string") b.intent = lower(raw.intent) as "positive" | "negative" | "default";
      return b;
    }
    case "link":
      return { type, text, url: str(raw.url) };
    case "request_contact":
    case "message":
      return { type, text };
    case "request_geo_location":
      return { type, text, quick: raw.quick === true };
    case "clipboard":
      return { type, text, payload: str(raw.payload) };
    case "open_app":
      return {
        type,
        text,
        web_app: str(raw.webApp ?? raw.web_app) || null,
        payload: str(raw.payload) || null,
      };
    case "chat":
      return { type, text, chat_title: str(raw.chatTitle ?? raw.chat_title) };
    default:
      return undefined;
  }
}

/** Where a media attach can be downloaded, when the world tells (see MediaUrlWorld). */
type MediaUrl = (attach: Record<string, unknown>) => string | null | undefined;

/**
 * The world's optional `mediaUrl(attach)` (requested in notes-world): the download URL of a
 * message's FILE / VIDEO / AUDIO attach, which carries none itself.
 */
type MediaUrlWorld = MaxBotWorld & { mediaUrl?: MediaUrl };

/** One user API attach as a Bot API attachment (undefined for kinds bots don't see: polls, control). */
export function toBotAttachment(a: Record<string, unknown>, mediaUrl?: MediaUrl): Attachment | undefined {
  const url = str(a.url ?? a.baseUrl) || (mediaUrl?.(a) ?? "");
  switch (a._type) {
    case "PHOTO":
      return { type: "image", payload: { photo_id: num(a.photoId), token: str(a.photoToken), url } };
    case "VIDEO":
      return {
        type: "video",
        payload: { url, token: str(a.token) },
        thumbnail: typeof a.thumbnail === "string" && a.thumbnail ? { url: a.thumbnail } : null,
        width: num(a.width),
        height: num(a.height),
        duration: num(a.duration),
      };
    case "AUDIO":
    case "VOICE":
      return { type: "audio", payload: { url, token: str(a.token) } };
    case "FILE":
      return {
        type: "file",
        payload: { url, token: str(a.token) },
        filename: str(a.name),
        size: num(a.size),
      };
    case "STICKER":
      return {
        type: "sticker",
        payload: { url, code: str(a.stickerId ?? a.code) },
        width: num(a.width),
        height: num(a.height),
      };
    case "LOCATION":
      return { type: "location", latitude: num(a.lat), longitude: num(a.lon) };
    case "CONTACT":
      return {
        type: "contact",
        payload: {
          vcf_info: `BEGIN:VCARD\nVERSION:3.0\nFN:${str(a.name)}\nTEL:${str(a.phone)}\nEND:VCARD`,
          max_info: null,
        },
      };
    case "SHARE":
      return {
        type: "share",
        payload: { url: str(a.url) || null, token: null },
        title: typeof a.title === "string" ? a.title : null,
        description: typeof a.description === "string" ? a.description : null,
        image_url: typeof a.image === "string" ? a.image : null,
      };
    case "INLINE_KEYBOARD": {
      const keyboard = a.keyboard as { buttons?: unknown } | undefined;
      const rows = Array.isArray(keyboard?.buttons) ? (keyboard.buttons as unknown[]) : [];
      const buttons = rows.map((row) =>
        (Array.isArray(row) ? row : [])
          .map((b) => toBotButton((b ?? {}) as Record<string, unknown>))
          .filter((b): b is Button => b !== undefined),
      );
      return { type: "inline_keyboard", payload: { buttons } };
    }
    default:
      return undefined;
  }
}

function toMaxButton(b: Extract<AttachmentRequest, { type: "inline_keyboard" }>["payload"]["buttons"][0][0]) {
  const out: Record<string, unknown> = { type: b.type.toUpperCase(), text: b.text };
  switch (b.type) {
    case "callback":
      out.payload = b.payload;
      out.intent = (b.intent ?? "default").toUpperCase();
      break;
    case "link":
      out.url = b.url;
      break;
    case "clipboard":
      out.payload = b.payload;
      break;
    case "request_geo_location":
      out.quick = b.quick ?? false;
      break;
    case "open_app":
      if (b.web_app) out.webApp = b.web_app;
      if (b.contact_id != null) out.contactId = b.contact_id;
      if (b.payload) out.payload = b.payload;
      break;
    case "chat":
      out.chatTitle = b.chat_title;
      if (b.chat_description) out.chatDescription = b.chat_description;
      if (b.start_payload) out.startPayload = b.start_payload;
      break;
  }
  return out;
}

function photoToken(p: Extract<AttachmentRequest, { type: "image" }>["payload"]): string | undefined {
  if (p.token) return p.token;
  for (const v of Object.values(p.photos ?? {})) {
    const t = typeof v === "string" ? v : v.token;
    if (t) return t;
  }
  return undefined;
}

/**
 * A bot's attachment requests as user API attaches (uploaded media by token through the
 * uploads store). Throws BotApiError for what cannot be attached (unknown or unready tokens,
 * images by external URL, reply keyboards, more than one keyboard).
 */
export function toMaxAttaches(
  ctx: MaxBotContext,
  botId: number,
  attachments: readonly AttachmentRequest[],
): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  let keyboards = 0;
  for (const a of attachments) {
    switch (a.type) {
      case "image": {
        const token = photoToken(a.payload);
        if (!token) {
          throw badRequest(
            a.payload.url
              ? "Images by external URL are not supported by the emulator: upload the image and pass its token"
              : "Image attachment needs payload.token or payload.photos",
          );
        }
        out.push(attachmentFromToken(ctx, botId, "image", token));
        break;
      }
      case "video":
      case "audio":
      case "file":
        out.push(attachmentFromToken(ctx, botId, a.type, a.payload.token));
        break;
      case "sticker": {
        const id = Number(a.payload.code);
        if (!/^\d{1,15}$/.test(a.payload.code)) throw badRequest(`Unknown sticker code ${a.payload.code}`);
        out.push({ _type: "STICKER", stickerId: id });
        break;
      }
      case "contact": {
        const p = a.payload;
        if (p.contact_id == null && !p.vcf_phone && !p.vcf_info) {
          throw badRequest("Contact attachment needs contact_id, vcf_phone or vcf_info");
        }
        const contact: Record<string, unknown> = { _type: "CONTACT", contactId: p.contact_id ?? 0 };
        if (p.name) contact.name = p.name;
        if (p.vcf_phone) contact.phone = p.vcf_phone;
        out.push(contact);
        break;
      }
      case "inline_keyboard":
        keyboards++;
        if (keyboards > 1) throw badRequest("Only one inline_keyboard per message");
        out.push({
          _type: "INLINE_KEYBOARD",
          keyboard: { buttons: a.payload.buttons.map((row) => row.map(toMaxButton)) },
        });
        break;
      case "location":
        out.push({ _type: "LOCATION", lat: a.latitude, lon: a.longitude });
        break;
      case "share":
        if (!a.payload.url) throw badRequest("Share attachment needs payload.url");
        out.push({ _type: "SHARE", url: a.payload.url });
        break;
      case "reply_keyboard":
        throw badRequest("reply_keyboard is not supported by the emulator");
    }
  }
  return out;
}

// ------------------------------------------------------------------ messages

export function toMessageBody(m: WorldMessage, world?: MaxBotWorld): MessageBody {
  const w = world as MediaUrlWorld | undefined;
  const mediaUrl: MediaUrl | undefined = w?.mediaUrl ? (a) => w.mediaUrl?.(a) : undefined;
  const attachments = m.attaches
    .map((a) => toBotAttachment(a, mediaUrl))
    .filter((a): a is Attachment => a !== undefined);
  const markup = toBotMarkup(m.elements);
  const body: MessageBody = {
    mid: encodeMid(m.chatId, m.messageId),
    seq: m.messageId,
    text: m.text,
    attachments: attachments.length > 0 ? attachments : null,
  };
  if (markup.length > 0) body.markup = markup;
  return body;
}

/** A MAX message as `viewerId` (a bot) reads it. */
export function toBotMessage(world: MaxBotWorld, m: WorldMessage, viewerId: number): Message {
  const chat = world.chat(m.chatId, viewerId);
  const type = chat?.type === "DIALOG" ? "dialog" : chat?.type === "CHANNEL" ? "channel" : "chat";
  let userId: number | null = null;
  if (type === "dialog") {
    // The recipient of a dialog message is the member who did not send it.
    userId = m.senderId === viewerId ? (chat?.dialogWithUserId ?? null) : viewerId;
  }
  const message: Message = {
    sender: botUserById(world, m.senderId),
    recipient: { chat_id: m.chatId, chat_type: type, user_id: userId },
    timestamp: m.time,
    body: toMessageBody(m, world),
  };
  if (m.link) {
    const linked = world.message(m.link.chatId, m.link.messageId, viewerId);
    if (linked) {
      const link: LinkedMessage = {
        type: m.link.type === "REPLY" ? "reply" : "forward",
        sender: botUserById(world, linked.senderId),
        message: toMessageBody(linked, world),
      };
      if (m.link.type === "FORWARD") link.chat_id = m.link.chatId;
      message.link = link;
    }
  }
  if (type !== "dialog" && chat?.link) message.url = `${chatLinkUrl(chat.link)}/${m.messageId}`;
  return message;
}
