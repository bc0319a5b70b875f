/**
 * The `maxbot` room: the bot is a MAX Bot API bot (`POST /_sandbox/maxbot/bots`), made an admin of
 * a MAX group by the group's owner, a kit-held MAX account that also adds each new user. Users are
 * MAX users: they write and read through their own MAX client, as people talk to a MAX bot.
 */
import { silentLogger } from "../../core/log.js";
import { ref } from "../../core/model.js";
import { MaxBotAdapter } from "../../maxbot/adapter.js";
import { MaxBotClient } from "../../maxbot/client/index.js";
import { joinMaxGroup, signInMaxUser } from "./max-users.js";
import { closeAll, type PlatformRoom, type RoomContext } from "./room.js";

export async function openMaxBotRoom(ctx: RoomContext): Promise<PlatformRoom> {
  const owner = await signInMaxUser(ctx, `Kit ${ctx.kitId}`, "kit-owner");
  try {
    const bot = await ctx.admin.call<{ token: string; userId: number }>("POST", "/_sandbox/maxbot/bots", {
      name: ctx.botName,
      username: `kit_${ctx.kitId}_bot`,
    });
    const group = await owner.createGroup(`Test chat ${ctx.kitId}`, []);
    await ctx.admin.call("POST", `/_sandbox/maxbot/bots/${bot.userId}/chats`, {
      chatId: group.id,
      admin: true,
      byUserId: owner.userId,
    });
    const client = new MaxBotClient({
      url: ctx.admin.faces.maxbot,
      token: bot.token,
      account: ctx.botAccount,
      logger: silentLogger,
    });
    // A short long-poll keeps stop() quick; on loopback the extra requests cost nothing.
    const account = new MaxBotAdapter(client, { pollTimeout: 1 });
    return {
      platform: "maxbot",
      account,
      chat: ref("maxbot", account.account, group.id),
      botUser: ref("maxbot", account.account, bot.userId),
      join: (name, attach) =>
        joinMaxGroup(ctx, owner, group.id, name, attach, {
          id: bot.userId,
          platform: "maxbot",
          account: account.account,
        }),
      close: () => closeAll([() => owner.close(), () => account.close()]),
    };
  } catch (err) {
    await owner.close();
    throw err;
  }
}
