/**
 * The `vklive` room: a VK Video Live app of the kit's own, the bot's user owning a channel (so it
 * may moderate its stream chat), and each new user a viewer with a user token of their own who
 * writes into that chat. All made through the admin API; users talk over the DevAPI and Centrifugo.
 */
import { silentLogger } from "../../core/log.js";
import { ref } from "../../core/model.js";
import { VkLiveAdapter } from "../../vklive/adapter.js";
import { VkLiveClient } from "../../vklive/client/index.js";
import { SCOPES } from "../../vklive/protocol/index.js";
import type { JoinedUser } from "../test-user.js";
import { closeAll, type PlatformRoom, type RoomContext } from "./room.js";

interface IssuedToken {
  access_token: string;
  refresh_token: string;
}

export async function openVkLiveRoom(ctx: RoomContext): Promise<PlatformRoom> {
  const { admin } = ctx;
  const app = await admin.call<{ clientId: string; secret: string }>("POST", "/_sandbox/vklive/apps", {
    redirectUri: "http://127.0.0.1:9/callback",
  });
  const client = async (userId: number, account: string, channel: string) => {
    const t = await admin.call<IssuedToken>("POST", "/_sandbox/vklive/tokens", {
      clientId: app.clientId,
      userId,
      scopes: SCOPES,
    });
    return new VkLiveAdapter(
      new VkLiveClient({
        url: admin.faces.vklive,
        clientId: app.clientId,
        clientSecret: app.secret,
        account,
        timeoutMs: 10_000,
        logger: silentLogger,
        tokens: { accessToken: t.access_token, refreshToken: t.refresh_token, tokenType: "Bearer" },
      }),
      { channels: [channel] },
    );
  };
  const botId = (
    await admin.call<{ userId: number }>("POST", "/_sandbox/vklive/users", { nick: ctx.botName })
  ).userId;
  const channel = await admin.call<{ url: string }>("POST", "/_sandbox/vklive/channels", {
    ownerId: botId,
    url: `kit-${ctx.kitId}`,
  });
  const account = await client(botId, ctx.botAccount, channel.url);
  return {
    platform: "vklive",
    account,
    chat: ref("vklive", account.account, channel.url),
    botUser: ref("vklive", account.account, botId),
    async join(name, attach): Promise<JoinedUser> {
      const userId = (await admin.call<{ userId: number }>("POST", "/_sandbox/vklive/users", { nick: name }))
        .userId;
      const adapter = await client(userId, name, channel.url);
      try {
        attach(adapter);
        await adapter.connect();
      } catch (err) {
        await adapter.close();
        throw err;
      }
      return {
        adapter,
        chat: ref("vklive", adapter.account, channel.url),
        botId: String(botId),
        selfId: String(userId),
        ref: ref("vklive", account.account, userId),
        close: () => adapter.close(),
      };
    },
    close: () => closeAll([() => account.close()]),
  };
}
