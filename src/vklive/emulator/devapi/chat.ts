/** DevAPI handlers: The chat: members, messages, settings. */
import { type ALLOW_ACCESS, LIMITS } from "../../protocol/index.js";
import {
  type ChannelRow,
  channelByUrl,
  chatMessage,
  chatSettings,
  emitEvent,
  fail,
  getUser,
  liveStream,
  type MessageRow,
  sec,
  type UserRow,
  userShort,
} from "../context.js";
import { SQL } from "../store/sql.js";
import { expandParts, type Handlers, isStaff, partsLength, requireStaff, requireUser } from "./shared.js";

export const chatHandlers: Handlers<
  "chatMember" | "chatMembers" | "sendMessage" | "chatMessages" | "chatSettings" | "editChatSettings"
> = {
  chatMember(ctx, q) {
    const ch = channelByUrl(ctx.emu, q.channel_url);
    const u = getUser(ctx.emu, q.user_id) ?? fail("not_found", "User not found");
    const count = ctx.emu.q(SQL.countMessagesOfAuthor).get(ch.id, u.id) as { n: number };
    return {
      channel: { status: liveStream(ctx.emu, ch.id) ? "online" : "offline", url: ch.url },
      statistics: {
        chat_messages_count: count.n,
        permanent_bans_count: 0,
        temporary_bans_count: 0,
        total_watched_time: 0,
      },
      user: { ...userShort(ctx.emu, u, ch), registered_at: sec(u.created_at) },
    };
  },
  chatMembers(ctx, q) {
    const ch = channelByUrl(ctx.emu, q.channel_url);
    // Those who write in the chat (most recent first), then the owner.
    const ids = ctx.emu.q(SQL.selectRecentAuthors).all(ch.id, q.limit) as { id: number }[];
    const list = ids.map((r) => r.id);
    if (!list.includes(ch.owner_id) && list.length < q.limit) list.push(ch.owner_id);
    const users = list
      .map((id) => getUser(ctx.emu, id))
      .filter((u): u is UserRow => u !== undefined)
      .map((u) => userShort(ctx.emu, u, ch));
    return { users };
  },
  sendMessage(ctx, q, b) {
    const ch = channelByUrl(ctx.emu, q.channel_url);
    const me = requireUser(ctx);
    const settings = chatSettings(ch);
    const staff = isStaff(ctx, ch);
    if (!staff) {
      const access = settings.allow_access as (typeof ALLOW_ACCESS)[number];
      if (access === "moderators") fail("forbidden", "Sending messages to the chat is forbidden");
      if (access === "followers" || access === "subscribers") {
        const f = ctx.emu.q(SQL.selectFollow).get(ch.id, me.id) as { created_at: number } | undefined;
        if (!f || ctx.now - f.created_at < settings.allow_access_after * 1000) {
          fail("forbidden", "Sending messages to the chat is forbidden");
        }
      }
    }
    let streamId: string | null = liveStream(ctx.emu, ch.id)?.id ?? null;
    if (q.stream_id !== undefined && q.stream_id !== "") {
      const s = ctx.emu.q(SQL.selectStreamIdInChannel).get(q.stream_id, ch.id) as { id: string } | undefined;
      if (!s) fail("invalid_param", "stream_id is not a stream of this channel");
      streamId = s.id;
    }
    const parts = expandParts(ctx, b.parts);
    if (partsLength(parts) > LIMITS.messageLength) fail("message_too_long");
    const text = parts
      .map((p) => p.text?.content ?? p.link?.url ?? `\u0000${p.mention?.id ?? p.smile?.id}`)
      .join("");
    if (text.trim() === "") fail("invalid_param", "parts: the message is empty");
    if (settings.mode?.general?.is_links_prohibited && !staff && parts.some((p) => p.link)) {
      fail("forbidden", "Links are prohibited in this chat");
    }
    if (!staff) {
      const last = ctx.emu.q(SQL.selectLastMessageOfAuthor).get(ch.id, me.id) as
        | { text: string; created_at: number }
        | undefined;
      if (last && settings.same_message_timeout > 0 && last.text === text) {
        if (ctx.now - last.created_at < settings.same_message_timeout * 1000) fail("same_message");
      }
      if (last && settings.any_message_timeout > 0) {
        if (ctx.now - last.created_at < settings.any_message_timeout * 1000) fail("send_too_fast");
      }
    }
    const info = ctx.emu
      .q(SQL.insertMessage)
      .run(ch.id, streamId, me.id, JSON.stringify(parts), text, ctx.now);
    const row = ctx.emu.q(SQL.selectMessageById).get(info.lastInsertRowid) as MessageRow;
    emitEvent(ctx.emu, ch, "channel_chat_message_send", {
      chat_message: chatMessage(ctx.emu, row, ch),
      channel_url: ch.url,
    });
    return {};
  },
  chatMessages(ctx, q) {
    const ch = channelByUrl(ctx.emu, q.channel_url);
    const rows = ctx.emu.q(SQL.selectRecentMessages).all(ch.id, q.limit) as MessageRow[];
    return { chat_messages: rows.map((r) => chatMessage(ctx.emu, r, ch)) };
  },
  chatSettings(ctx, q) {
    const ch = channelByUrl(ctx.emu, q.channel_url);
    requireStaff(ctx, ch);
    return { chat_settings: chatSettings(ch) };
  },
  editChatSettings(ctx, q, b) {
    let ch: ChannelRow;
    if (q.channel_url !== undefined) ch = channelByUrl(ctx.emu, q.channel_url);
    else {
      // The method's channel_url is optional: the caller's own channel.
      ch =
        (ctx.emu.q(SQL.selectFirstChannelOfOwner).get(ctx.p.userId) as ChannelRow | undefined) ??
        fail("missing_param", "channel_url is required");
    }
    requireStaff(ctx, ch);
    const cur = chatSettings(ch);
    const patch = b.chat_settings;
    const next = {
      ...cur,
      ...patch,
      mode: { ...cur.mode, ...patch.mode, general: { ...cur.mode?.general, ...patch.mode?.general } },
    };
    ctx.emu.q(SQL.updateChannelChatSettings).run(JSON.stringify(next), ch.id);
    return {};
  },
};
