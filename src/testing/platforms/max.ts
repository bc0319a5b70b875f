/**
 * The `max` room: the bot is a MAX userbot (its own MAX account, signed in by SMS) and an admin
 * of a group owned by a kit-held MAX account, which adds each new user to the group.
 */
import { ref } from "../../core/model.js";
import { MaxAdapter } from "../../max/adapter.js";
import { joinMaxGroup, signInMaxUser } from "./max-users.js";
import { closeAll, type PlatformRoom, type RoomContext } from "./room.js";

export async function openMaxRoom(ctx: RoomContext): Promise<PlatformRoom> {
  const owner = await signInMaxUser(ctx, `Kit ${ctx.kitId}`, "kit-owner");
  try {
    const botClient = await signInMaxUser(ctx, ctx.botName, ctx.botAccount);
    const account = new MaxAdapter(botClient);
    try {
      const group = await owner.createGroup(`Test chat ${ctx.kitId}`, [botClient.userId]);
      // Admin rights, so a moderation bot can delete and remove in its test chat.
      await owner.makeAdmin(group.id, [botClient.userId]);
      return {
        platform: "max",
        account,
        chat: ref("max", account.account, group.id),
        botUser: ref("max", account.account, botClient.userId),
        join: (name, attach) =>
          joinMaxGroup(ctx, owner, group.id, name, attach, {
            id: botClient.userId,
            platform: "max",
            account: account.account,
          }),
        close: () => closeAll([() => owner.close(), () => account.close()]),
      };
    } catch (err) {
      await account.close();
      throw err;
    }
  } catch (err) {
    await owner.close();
    throw err;
  }
}
