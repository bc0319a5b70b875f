/**
 * The `maxim` room: a MaxIM app of its own per kit (`POST /_sandbox/maxim/apps`), the bot as one
 * of its users (with its own user token, the way an app back end acts as a bot user) owning a
 * group, and each new user registered in the app and invited into the group by the bot's owner
 * rights (the app's admin token acting as the bot).
 */
import { randomBytes } from "node:crypto";
import type { Adapter } from "../../core/adapter.js";
import { silentLogger } from "../../core/log.js";
import { ref } from "../../core/model.js";
import { MaxImAdapter } from "../../maxim/adapter.js";
import { MaxImClient } from "../../maxim/client/index.js";
import type { JoinedUser } from "../test-user.js";
import { closeAll, type PlatformRoom, type RoomContext } from "./room.js";

/** How often the adapters read their unread lists: quick replies on loopback. */
const POLL_INTERVAL_MS = 200;

export async function openMaxImRoom(ctx: RoomContext): Promise<PlatformRoom> {
  const appId = `kit_${ctx.kitId}`;
  const { adminToken } = await ctx.admin.call<{ adminToken: string }>("POST", "/_sandbox/maxim/apps", {
    appId,
  });
  const url = ctx.admin.faces.maxim;
  const admin = new MaxImClient({ url, appId, adminToken, logger: silentLogger });
  const password = randomBytes(12).toString("hex");
  let users = 0;

  /** Registers `username` with a display name and returns its id and a client on its own token. */
  const register = async (username: string, nick: string, account: string) => {
    const userId = (await admin.registerUser({ username, password })).user_id;
    await admin.asUser(userId).updateProfile({ nick_name: nick });
    const { token } = await admin.userToken({ name: username, password });
    return { userId, client: new MaxImClient({ url, appId, token, account, logger: silentLogger }) };
  };

  try {
    const bot = await register("kit_bot", ctx.botName, ctx.botAccount);
    const account = new MaxImAdapter(bot.client, { pollIntervalMs: POLL_INTERVAL_MS });
    const group = await admin.asUser(bot.userId).createGroup({ name: `Test chat ${ctx.kitId}` });
    return {
      platform: "maxim",
      account,
      chat: ref("maxim", account.account, group.group_id),
      botUser: ref("maxim", account.account, bot.userId),
      async join(name, attach): Promise<JoinedUser> {
        users += 1;
        const user = await register(`user_${users}`, name, name);
        const adapter: Adapter = new MaxImAdapter(user.client, { pollIntervalMs: POLL_INTERVAL_MS });
        try {
          attach(adapter);
          await adapter.connect();
          await admin.asUser(bot.userId).invite({ group_id: group.group_id, user_list: [user.userId] });
        } catch (err) {
          await adapter.close();
          throw err;
        }
        return {
          adapter,
          chat: ref("maxim", adapter.account, group.group_id),
          botId: String(bot.userId),
          selfId: String(user.userId),
          ref: ref("maxim", account.account, user.userId),
          close: () => adapter.close(),
        };
      },
      close: () => closeAll([() => admin.close(), () => account.close()]),
    };
  } catch (err) {
    await admin.close();
    throw err;
  }
}
