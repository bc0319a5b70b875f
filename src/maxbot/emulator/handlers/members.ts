/** Members of a chat: the bot's own membership (read, leave), admins, members (list, add, remove). */
import { toChatMember } from "../convert.js";
import { chatDenied } from "../errors.js";
import { type BotHandlers, pathInt } from "../routes.js";
import { chatOf } from "./chats.js";

const SUCCESS = { success: true } as const;

export const memberHandlers: BotHandlers = {
  getMembership: (ctx, call) => {
    const chatId = pathInt(call, "chatId");
    chatOf(ctx, chatId, call.botId);
    const me = ctx.world.member(chatId, call.botId);
    if (!me) throw chatDenied(`The bot is not a member of chat ${chatId}`);
    return toChatMember(me);
  },

  leaveChat: (ctx, call) => {
    const chatId = pathInt(call, "chatId");
    chatOf(ctx, chatId, call.botId);
    ctx.world.leave(chatId, call.botId);
    return SUCCESS;
  },

  getAdmins: (ctx, call) => {
    const chatId = pathInt(call, "chatId");
    chatOf(ctx, chatId, call.botId);
    const page = ctx.world.members(chatId, call.botId, { count: 100, marker: null, adminsOnly: true });
    return { members: page.members.map(toChatMember), marker: page.marker };
  },

  postAdmins: (ctx, call) => {
    const chatId = pathInt(call, "chatId");
    chatOf(ctx, chatId, call.botId);
    ctx.db.transaction(() => {
      for (const admin of call.body.admins) ctx.world.setAdmin(chatId, call.botId, admin.user_id, true);
    })();
    return SUCCESS;
  },

  deleteAdmin: (ctx, call) => {
    const chatId = pathInt(call, "chatId");
    const userId = pathInt(call, "userId");
    chatOf(ctx, chatId, call.botId);
    ctx.world.setAdmin(chatId, call.botId, userId, false);
    return SUCCESS;
  },

  getMembers: (ctx, call) => {
    const chatId = pathInt(call, "chatId");
    chatOf(ctx, chatId, call.botId);
    const { query } = call;
    const opts: { count: number; marker: number | null; userIds?: number[] } = {
      count: query.count ?? 20,
      marker: query.marker ?? null,
    };
    // With user_ids, count and marker are ignored (the schema says so).
    if (query.user_ids && query.user_ids.length > 0) {
      opts.userIds = query.user_ids;
      opts.count = query.user_ids.length;
      opts.marker = null;
    }
    const page = ctx.world.members(chatId, call.botId, opts);
    return { members: page.members.map(toChatMember), marker: page.marker };
  },

  addMembers: (ctx, call) => {
    const chatId = pathInt(call, "chatId");
    chatOf(ctx, chatId, call.botId);
    const ids = [...new Set(call.body.user_ids)];
    const unknown = ids.filter((id) => !ctx.world.user(id));
    const known = ids.filter((id) => !unknown.includes(id));
    if (known.length > 0) ctx.world.addMembers(chatId, call.botId, known);
    if (unknown.length === 0) return SUCCESS;
    return {
      success: known.length > 0,
      message: known.length > 0 ? "Some users were not added" : "No user was added",
      failed_user_ids: unknown,
      failed_user_details: [{ error_code: "add.participant.not.found", user_ids: unknown }],
    };
  },

  removeMember: (ctx, call) => {
    const chatId = pathInt(call, "chatId");
    chatOf(ctx, chatId, call.botId);
    ctx.world.removeMember(chatId, call.botId, call.query.user_id, call.query.block ?? false);
    return SUCCESS;
  },
};
