/**
 * The `webqq` room: the bot's QQ account owning a group (`g:<gid>`) with a fixed set of member
 * accounts ("seats"), all made through the admin API. WebQQ has no call that adds a member to a
 * group, so the members are made up front: `kit.user("webqq", name)` takes the seat whose nick is
 * `name` (from the kit's `webqqUsers` option) or else the next free one. A contact's uin differs
 * per viewer, so each side's id of the other is read over the wire (group members, then
 * `get_friend_uin2` uin → QQ number).
 */
import { randomBytes } from "node:crypto";
import { silentLogger } from "../../core/log.js";
import { ref } from "../../core/model.js";
import { WebQQAdapter } from "../../webqq/adapter.js";
import { WebQQClient } from "../../webqq/client/index.js";
import { BotTestKitError } from "../errors.js";
import type { JoinedUser } from "../test-user.js";
import { closeAll, type PlatformRoom, type RoomContext, randomDigits, withFreshId } from "./room.js";

/** Seats of a kit that names none: enough for a few users per test. */
export const DEFAULT_WEBQQ_SEATS = 4;

interface Seat {
  qq: number;
  nick: string;
  /** Named by the kit's `webqqUsers`: kept for the user of that name. */
  reserved: boolean;
  taken: boolean;
}

/** The seats' nicks: the names given, or `count` unnamed seats. */
export function seatNicks(
  users: number | readonly string[] | undefined,
): { nick: string; reserved: boolean }[] {
  if (Array.isArray(users))
    return [...new Set(users as readonly string[])].map((nick) => ({ nick, reserved: true }));
  const count = typeof users === "number" ? users : DEFAULT_WEBQQ_SEATS;
  return Array.from({ length: count }, (_, i) => ({ nick: `User ${i + 1}`, reserved: false }));
}

export async function openWebQQRoom(
  ctx: RoomContext,
  seatList: readonly { nick: string; reserved: boolean }[],
): Promise<PlatformRoom> {
  const url = ctx.admin.faces.webqq;
  const password = randomBytes(12).toString("hex");
  const createAccount = (nick: string) =>
    withFreshId(async () => {
      const qq = Number(randomDigits(9));
      await ctx.admin.call("POST", "/_sandbox/webqq/accounts", { qq, password, nick });
      return qq;
    });
  const botQQ = await createAccount(ctx.botName);
  const seats: Seat[] = [];
  for (const { nick, reserved } of seatList)
    seats.push({ qq: await createAccount(nick), nick, reserved, taken: false });
  const group = await ctx.admin.call<{ code: number; gid: number }>("POST", "/_sandbox/webqq/groups", {
    name: `Test chat ${ctx.kitId}`,
    owner: botQQ,
    members: seats.map((s) => s.qq),
  });
  const client = new WebQQClient({
    url,
    account: ctx.botAccount,
    login: { qq: botQQ, password },
    logger: silentLogger,
    backoffBaseMs: 50,
  });
  // Logged in now (the poll loop starts when the Bot connects the adapter), so the kit can read
  // the group's members as the bot sees them; items wait on the server until the bot polls.
  await client.passwordLogin({ qq: botQQ, password });
  const account = new WebQQAdapter(client);

  /** The uin under which `viewer` sees the account `qq` in the group. */
  const uinOf = async (viewer: WebQQClient, qq: number): Promise<number> => {
    const info = await viewer.groupInfo(group.code);
    for (const member of info.minfo) {
      if ((await viewer.friendUin(member.uin, 1)).account === qq) return member.uin;
    }
    throw new BotTestKitError(`QQ ${qq} is not among the test group's members`, {
      code: "admin_failed",
      platform: "webqq",
    });
  };

  return {
    platform: "webqq",
    account,
    chat: ref("webqq", account.account, `g:${group.gid}`),
    botUser: ref("webqq", account.account, botQQ),
    async join(name, attach): Promise<JoinedUser> {
      const seat =
        seats.find((s) => !s.taken && s.nick === name) ?? seats.find((s) => !s.taken && !s.reserved);
      if (!seat)
        throw new BotTestKitError(
          `no free WebQQ seat for ${name}: WebQQ can't add members to a group, so the kit makes them up front; pass webqqUsers (names or a count) to BotTestKit.start`,
          { code: "no_seat", platform: "webqq" },
        );
      seat.taken = true;
      const userClient = new WebQQClient({
        url,
        account: name,
        login: { qq: seat.qq, password },
        logger: silentLogger,
        backoffBaseMs: 50,
      });
      const adapter = new WebQQAdapter(userClient);
      try {
        attach(adapter);
        await adapter.connect();
        const botUin = await uinOf(userClient, botQQ);
        const userUin = await uinOf(client, seat.qq);
        return {
          adapter,
          chat: ref("webqq", adapter.account, `g:${group.gid}`),
          botId: String(botUin),
          selfId: String(seat.qq),
          ref: ref("webqq", account.account, userUin),
          close: () => adapter.close(),
        };
      } catch (err) {
        seat.taken = false;
        await adapter.close();
        throw err;
      }
    },
    close: () => closeAll([() => account.close()]),
  };
}
