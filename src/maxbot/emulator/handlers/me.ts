/** GET/PATCH /me and PATCH /me/commands: the bot's own profile and its command list. */

import type { MaxBotContext } from "../context.js";
import { toBotInfo } from "../convert.js";
import { badRequest, notFound } from "../errors.js";
import type { BotHandlers } from "../routes.js";
import { getBot, setBotName, setCommands } from "../store/bots.js";

function botInfo(ctx: MaxBotContext, botId: number) {
  const user = ctx.world.user(botId);
  if (!user) throw notFound("Bot not found");
  return toBotInfo(user, getBot(ctx.db, botId)?.commands ?? []);
}

export const meHandlers: BotHandlers = {
  getMyInfo: (ctx, { botId }) => botInfo(ctx, botId),

  editMyInfo: (ctx, { botId, body }) => {
    if (body.photo) throw badRequest("Setting the bot photo is not supported by the emulator");
    const name = body.first_name ?? body.name ?? undefined;
    return ctx.db.transaction(() => {
      const patch: { name?: string; description?: string | null } = {};
      if (name !== undefined) patch.name = name;
      if (body.description !== undefined) patch.description = body.description;
      if (Object.keys(patch).length > 0) ctx.world.editBotProfile(botId, patch);
      if (name !== undefined) setBotName(ctx.db, botId, name);
      if (body.commands !== undefined && body.commands !== null) setCommands(ctx.db, botId, body.commands);
      return botInfo(ctx, botId);
    })();
  },

  editMyCommands: (ctx, { botId, body }) => {
    setCommands(ctx.db, botId, body.commands);
    return { commands: body.commands.map((c) => ({ name: c.name, description: c.description ?? null })) };
  },
};
