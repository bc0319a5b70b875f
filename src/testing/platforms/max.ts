/**
 * The `max` room: the bot is a MAX userbot (its own MAX account, signed in by SMS) and an admin
 * of a group owned by a kit-held MAX account, which adds each new user to the group.
 */
import { ref } from "../../core/model.js";
import { MaxAdapter } from "../../max/adapter.js";
import type { JoinedUser } from "../test-user.js";
import { signInMaxUser } from "./max-users.js";
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
        async join(name, attach): Promise<JoinedUser> {
          const user = await signInMaxUser(ctx, name, name);
          const adapter = new MaxAdapter(user);
          try {
            attach(adapter);
            await adapter.connect();
            await owner.addMembers(group.id, [user.userId], { showHistory: false });
          } catch (err) {
            await adapter.close();
            throw err;
          }
          return {
            adapter,
            chat: ref("max", adapter.account, group.id),
            botId: String(botClient.userId),
            selfId: String(user.userId),
            ref: ref("max", account.account, user.userId),
            close: () => adapter.close(),
          };
        },
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
