/** WebQQ ⇄ unified model: chat ids, users, chats, segments and poll items as events. */
import { ValidationError } from "../core/errors.js";
import type { AdapterCapabilities, Chat, Event, Member, Message, Segment, User } from "../core/model.js";
import { ref } from "../core/model.js";
import { type ContentItem, decodeContent, type PollItem } from "./protocol.js";

/** What WebQQ maps to in the unified model. */
export const capabilities: AdapterCapabilities = {
  platform: "webqq",
  operations: { edit: false, delete: false, react: false, history: false },
  maxTextLength: 1000,
  segments: ["text", "emoji", "image", "mention", "link"],
  events: ["message.created", "presence", "typing", "connection.state"],
};

/**
 * Chat ids carry their kind, because friends (uin), groups (gid) and discussions (did) are
 * separate number spaces: `u:<uin>`, `g:<gid>`, `d:<did>`, `s:<gid>:<uin>` (temporary session).
 */
export type ChatId =
  | { kind: "buddy"; uin: number }
  | { kind: "group"; gid: number }
  | { kind: "discu"; did: number }
  | { kind: "sess"; gid: number; uin: number };

export function chatId(c: ChatId): string {
  switch (c.kind) {
    case "buddy":
      return `u:${c.uin}`;
    case "group":
      return `g:${c.gid}`;
    case "discu":
      return `d:${c.did}`;
    case "sess":
      return `s:${c.gid}:${c.uin}`;
  }
}

export function parseChatId(id: string): ChatId {
  const m = /^(u|g|d):(\d+)$/.exec(id) ?? /^(s):(\d+):(\d+)$/.exec(id);
  if (!m) throw new ValidationError(`not a WebQQ chat id: ${id}`, { platform: "webqq", code: "bad_chat" });
  const n = Number(m[2]);
  if (m[1] === "u") return { kind: "buddy", uin: n };
  if (m[1] === "g") return { kind: "group", gid: n };
  if (m[1] === "d") return { kind: "discu", did: n };
  return { kind: "sess", gid: n, uin: Number(m[3]) };
}

export function toUser(account: string, u: { uin: number; nick?: string; markname?: string }): User {
  return { ref: ref("webqq", account, u.uin), name: u.markname || u.nick || String(u.uin) };
}

export function toFriendChat(account: string, u: { uin: number; nick?: string; markname?: string }): Chat {
  return {
    ref: ref("webqq", account, chatId({ kind: "buddy", uin: u.uin })),
    kind: "direct",
    title: u.markname || u.nick || String(u.uin),
  };
}

export function toGroupChat(account: string, g: { gid: number; name: string }, memberCount?: number): Chat {
  const c: Chat = {
    ref: ref("webqq", account, chatId({ kind: "group", gid: g.gid })),
    kind: "group",
    title: g.name,
  };
  if (memberCount !== undefined) c.memberCount = memberCount;
  return c;
}

export function toDiscussionChat(
  account: string,
  d: { did: number; name: string },
  memberCount?: number,
): Chat {
  const c: Chat = {
    ref: ref("webqq", account, chatId({ kind: "discu", did: d.did })),
    kind: "group",
    title: d.name,
  };
  if (memberCount !== undefined) c.memberCount = memberCount;
  return c;
}

/** mflag 21 marks the owner in the seed's member list. */
export function toMember(
  account: string,
  gid: number,
  m: { uin: number; nick: string },
  ownerUin?: number,
): Member {
  return {
    user: toUser(account, m),
    chat: ref("webqq", account, chatId({ kind: "group", gid })),
    role: m.uin === ownerUin ? "owner" : "member",
  };
}

function toSegment(it: ContentItem): Segment {
  switch (it.type) {
    case "text":
      return { type: "text", text: it.text };
    case "face":
      return { type: "emoji", id: String(it.id), name: `face ${it.id}` };
    case "cface":
      return { type: "image", attachment: { id: `cface:${it.name}`, name: it.name } };
    case "offpic": {
      const att: { id: string; name?: string; size?: number } = { id: `offpic:${it.filePath}` };
      if (it.name) att.name = it.name;
      if (it.size) att.size = it.size;
      return { type: "image", attachment: att };
    }
  }
}

export function toSegments(items: readonly ContentItem[]): Segment[] {
  return items.map(toSegment);
}

/**
 * Unified segments → WebQQ content. Mentions and links become text (WebQQ has neither);
 * images must already be uploaded (attachment.id `cface:<name>` or `offpic:<path>`).
 */
export function fromSegments(segments: readonly Segment[]): ContentItem[] {
  const out: ContentItem[] = [];
  for (const s of segments) {
    if (s.type === "text") out.push({ type: "text", text: s.text });
    else if (s.type === "mention") out.push({ type: "text", text: s.text ?? `@${s.user.id}` });
    else if (s.type === "link") out.push({ type: "text", text: s.text ? `${s.text} ${s.url}` : s.url });
    else if (s.type === "emoji" && /^\d{1,3}$/.test(s.id)) out.push({ type: "face", id: Number(s.id) });
    else if (s.type === "image" && s.attachment.id?.startsWith("cface:"))
      out.push({ type: "cface", name: s.attachment.id.slice(6) });
    else if (s.type === "image" && s.attachment.id?.startsWith("offpic:")) {
      const it: ContentItem = { type: "offpic", filePath: s.attachment.id.slice(7) };
      if (s.attachment.name) it.name = s.attachment.name;
      if (s.attachment.size) it.size = s.attachment.size;
      out.push(it);
    } else
      throw new ValidationError(`WebQQ can't send a ${s.type} segment (upload images first)`, {
        platform: "webqq",
        code: "unsupported_segment",
      });
  }
  return out;
}

/** A poll item → unified event, or undefined for items with no unified meaning. */
export function toEvent(account: string, item: PollItem): Event | undefined {
  switch (item.poll_type) {
    case "message":
    case "group_message":
    case "discu_message":
    case "sess_message": {
      const v = item.value;
      const items = decodeContent(v.content)?.items ?? [];
      let chat: ChatId;
      let author: number;
      if (item.poll_type === "group_message") {
        chat = { kind: "group", gid: item.value.from_uin };
        author = item.value.send_uin;
      } else if (item.poll_type === "discu_message") {
        chat = { kind: "discu", did: item.value.did };
        author = item.value.send_uin;
      } else if (item.poll_type === "sess_message") {
        chat = { kind: "sess", gid: item.value.id, uin: item.value.from_uin };
        author = item.value.from_uin;
      } else {
        chat = { kind: "buddy", uin: v.from_uin };
        author = v.from_uin;
      }
      const message: Message = {
        ref: ref("webqq", account, `${item.poll_type}:${v.msg_id}`),
        chat: ref("webqq", account, chatId(chat)),
        author: ref("webqq", account, author),
        time: v.time * 1000,
        content: toSegments(items),
      };
      return { type: "message.created", message };
    }
    case "buddies_status_change":
      return {
        type: "presence",
        user: ref("webqq", account, item.value.uin),
        online: item.value.status !== "offline",
      };
    case "input_notify":
      return {
        type: "typing",
        chat: ref("webqq", account, chatId({ kind: "buddy", uin: item.value.from_uin })),
        user: ref("webqq", account, item.value.from_uin),
      };
    case "kick_message":
      return { type: "connection.state", state: "closed", reason: item.value.reason };
  }
}
