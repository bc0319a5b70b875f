/**
 * MAX accounts for the kit: created through the admin API (`POST /_sandbox/max/users`) and signed
 * in over the MAX wire with the SMS code the sandbox hands out (`GET /_sandbox/max/sms`), exactly
 * as a person would log in. Used by the `max` room (bot and users) and the `maxbot` room (users
 * and the chat's owner).
 */
import { MemoryCredentialStore } from "../../core/credentials.js";
import { silentLogger } from "../../core/log.js";
import { MaxClient } from "../../max/client/index.js";
import type { MaxSession } from "../../max/client/session.js";
import { BotTestKitError } from "../errors.js";
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
