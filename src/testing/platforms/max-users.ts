/**
 * MAX accounts for the kit: created through the admin API (`POST /_sandbox/max/users`) and signed
 * in over the MAX wire with the SMS code the sandbox hands out (`GET /_sandbox/max/sms`), exactly
 * as a person would log in. Used by the `max` room (bot and users) and the `maxbot` room (users
 * and the chat's owner).
 */
import type { Adapter } from "../../core/adapter.js";
import { MemoryCredentialStore } from "../../core/credentials.js";
import { silentLogger } from "../../core/log.js";
import { type PlatformName, ref } from "../../core/model.js";
import { MaxAdapter } from "../../max/adapter.js";
import { MaxClient } from "../../max/client/index.js";
import type { MaxSession } from "../../max/client/session.js";
import { BotTestKitError } from "../errors.js";
import type { JoinedUser } from "../test-user.js";
import type { RoomContext } from "./room.js";
import { randomDigits, withFreshId } from "./room.js";

export type SignedInMaxUser = MaxClient & { readonly userId: number };

/** A new MAX account named `firstName`, signed in; its client's `account` is `account`. */
export async function signInMaxUser(
  ctx: RoomContext,
  firstName: string,
  account: string,
): Promise<SignedInMaxUser> {
  const phone = await withFreshId(async () => {
    const candidate = `+79${randomDigits(9)}`;
    await ctx.admin.call("POST", "/_sandbox/max/users", { phone: candidate, firstName });
    return candidate;
  });
  const client = new MaxClient({
    url: ctx.admin.faces.max,
    account,
    timeoutMs: 10_000,
    logger: silentLogger,
    credentials: new MemoryCredentialStore<MaxSession>(),
    reconnect: { baseMs: 50, maxMs: 1000 },
  });
  try {
    await client.connect();
    await client.requestCode(phone);
    const { code } = await ctx.admin.call<{ code: string }>(
      "GET",
      `/_sandbox/max/sms?phone=${encodeURIComponent(phone)}`,
    );
    const result = await client.signIn(code);
    if (result.status !== "ok" || client.userId === undefined)
      throw new BotTestKitError(`MAX sign-in of ${firstName} did not finish (${result.status})`, {
        code: "admin_failed",
        platform: "max",
      });
    return client as SignedInMaxUser;
  } catch (err) {
    await client.close();
    throw err;
  }
}

/**
 * A new MAX user who joins the group `groupId` (added by its `owner`, without earlier history)
 * and listens through their own MaxAdapter; `botId` is the bot's MAX user id and `botPlatform`
 * the platform of the bot's Refs (`max` for a userbot, `maxbot` for a Bot API bot).
 */
export async function joinMaxGroup(
  ctx: RoomContext,
  owner: SignedInMaxUser,
  groupId: number,
  name: string,
  attach: (adapter: Adapter) => void,
  bot: { id: number; platform: PlatformName; account: string },
): Promise<JoinedUser> {
  const user = await signInMaxUser(ctx, name, name);
  const adapter = new MaxAdapter(user);
  try {
    attach(adapter);
    await adapter.connect();
    await owner.addMembers(groupId, [user.userId], { showHistory: false });
  } catch (err) {
    await adapter.close();
    throw err;
  }
  return {
    adapter,
    chat: ref("max", adapter.account, groupId),
    botId: String(bot.id),
    selfId: String(user.userId),
    ref: ref(bot.platform, bot.account, user.userId),
    close: () => adapter.close(),
  };
}
