/**
 * Issue 18 item 3: response types name their fields and nothing else, so a typo is a compile
 * error (`npx tsc --noEmit` checks this file: each `@ts-expect-error` line must fail to compile,
 * or tsc reports the directive as unused). Unknown server fields are kept under `extra` on all
 * four platforms; the runtime half checks that with each platform's own schemas.
 */
import { describe, expect, expectTypeOf, it } from "vitest";
import type { Extra } from "../../src/core/extra.js";
import type { MaxMember } from "../../src/max/client/chats.js";
import { toMaxChat, toMaxMessage, toMaxUser } from "../../src/max/client/types.js";
import type {
  MaxChat,
  MaxMessage,
  MaxProfile,
  SessionInfo as MaxSessionInfo,
  MaxUser,
} from "../../src/max/index.js";
import type { MaxImGroup, MaxImProfile, MaxImStoredMessage } from "../../src/maxim/index.js";
import { Group, MaxImEndpoints, Profile as MaxImProfileSchema } from "../../src/maxim/protocol.js";
import type {
  VkLiveChannelData,
  VkLiveChatMessage,
  VkLiveCurrentUser,
  VkLiveTokenInfo,
} from "../../src/vklive/index.js";
import { ChatMessage, CurrentUser, EVENT_DATA } from "../../src/vklive/protocol/index.js";
import type { WebQQPollItem } from "../../src/webqq/index.js";
import { FriendsResult, type GroupListResult, PollItem } from "../../src/webqq/protocol.js";

/** Type-level only: never called, so the bodies need no values. */
function typos(
  max: {
    me: MaxProfile;
    chat: MaxChat;
    message: MaxMessage;
    user: MaxUser;
    member: MaxMember;
    session: MaxSessionInfo;
  },
  maxim: { user: MaxImProfile; group: MaxImGroup; message: MaxImStoredMessage },
  webqq: {
    friends: FriendsResult;
    groups: GroupListResult;
    item: Extract<WebQQPollItem, { poll_type: "message" }>;
  },
  vk: {
    me: VkLiveCurrentUser;
    token: VkLiveTokenInfo;
    channel: VkLiveChannelData;
    message: VkLiveChatMessage;
  },
): unknown[] {
  return [
    // MAX: the profile's id is me.contact.id; a chat's name is `title`; a message's is `text`.
    max.me.contact.id,
    // @ts-expect-error `me.id` is not a field (it is me.contact.id)
    max.me.id,
    max.chat.title,
    // @ts-expect-error typo of `title`
    max.chat.titel,
    max.message.text,
    // @ts-expect-error typo of `text`
    max.message.txt,
    // @ts-expect-error a message has `sender`, not `from`
    max.message.from,
    // @ts-expect-error a user's names are `names`
    max.user.name,
    // @ts-expect-error a member's user is `member.user`
    max.member.id,
    // @ts-expect-error a session has `deviceName`
    max.session.device,

    // MaxIM: users have `nick_name`, groups `name`, stored messages `content`.
    maxim.user.nick_name,
    // @ts-expect-error `nickname` is `nick_name`
    maxim.user.nickname,
    maxim.group.name,
    // @ts-expect-error a group has `name`
    maxim.group.title,
    // @ts-expect-error the group id is `group_id`
    maxim.group.id,
    maxim.message.content,
    // @ts-expect-error a stored message's text is `content`
    maxim.message.text,

    // WebQQ: friend info items, group list items, poll items.
    webqq.friends.info[0]?.nick,
    // @ts-expect-error `nick`, not `nickname`
    webqq.friends.info[0]?.nickname,
    webqq.groups.gnamelist[0]?.name,
    // @ts-expect-error a group's name is `name`
    webqq.groups.gnamelist[0]?.title,
    webqq.item.value.from_uin,
    // @ts-expect-error a poll item's sender is `from_uin`
    webqq.item.value.from,

    // VK Live: the current user is me.user.id; a chat message's text is in `parts`.
    vk.me.user.id,
    // @ts-expect-error `me.id` is not a field (it is me.user.id)
    vk.me.id,
    // @ts-expect-error token info has no user (call currentUser())
    vk.token.user,
    vk.channel.channel.url,
    // @ts-expect-error a channel has no title (its stream does)
    vk.channel.channel.title,
    vk.message.parts,
    // @ts-expect-error a chat message has `parts`, not `text`
    vk.message.text,
  ];
}

describe("response types without index signatures", () => {
  it("have no string index signature, and one optional `extra` of unknown fields", () => {
    expectTypeOf(typos).toBeFunction();
    type HasIndex<T> = string extends keyof T ? true : false;
    expectTypeOf<HasIndex<MaxChat>>().toEqualTypeOf<false>();
    expectTypeOf<HasIndex<MaxMessage>>().toEqualTypeOf<false>();
    expectTypeOf<HasIndex<MaxProfile>>().toEqualTypeOf<false>();
    expectTypeOf<HasIndex<MaxImGroup>>().toEqualTypeOf<false>();
    expectTypeOf<HasIndex<MaxImProfile>>().toEqualTypeOf<false>();
    expectTypeOf<HasIndex<WebQQPollItem>>().toEqualTypeOf<false>();
    expectTypeOf<HasIndex<VkLiveChatMessage>>().toEqualTypeOf<false>();
    expectTypeOf<HasIndex<VkLiveCurrentUser>>().toEqualTypeOf<false>();
    expectTypeOf<MaxChat["extra"]>().toEqualTypeOf<Extra | undefined>();
    expectTypeOf<MaxImGroup["extra"]>().toEqualTypeOf<Extra | undefined>();
    expectTypeOf<WebQQPollItem["extra"]>().toEqualTypeOf<Extra | undefined>();
    expectTypeOf<VkLiveChatMessage["extra"]>().toEqualTypeOf<Extra | undefined>();
  });

  it("MAX: unknown chat, message, attach and user fields land in extra", () => {
    const chat = toMaxChat({
      id: "7",
      type: "CHAT",
      title: "t",
      newFlag: true,
      lastMessage: {
        id: 5,
        time: 1,
        sender: 2,
        text: "x",
        attaches: [{ _type: "PHOTO", photoId: 1, blur: 3 }],
        mood: "ok",
      },
    });
    expect(chat?.extra).toEqual({ newFlag: true });
    expect(chat?.lastMessage?.extra).toEqual({ mood: "ok" });
    expect(chat?.lastMessage?.attaches[0]).toEqual({ _type: "PHOTO", photoId: 1, extra: { blur: 3 } });
    expect(toMaxMessage({ id: "1", text: "plain" })).not.toHaveProperty("extra");
    const user = toMaxUser({ contact: { id: 3, names: [{ name: "n", type: "ONEME", kind: 1 }], vip: 1 } });
    expect(user).toEqual({
      id: 3,
      names: [{ name: "n", type: "ONEME", extra: { kind: 1 } }],
      extra: { vip: 1 },
    });
  });

  it("MaxIM: unknown group and profile fields land in extra; the batch info names `owner`", () => {
    const g = {
      name: "g",
      status: 0,
      type: 0,
      group_id: 1,
      owner_id: 2,
      created_at: 1,
      updated_at: 1,
      member_invite: true,
      apply_approval: 0,
      read_ack: false,
      history_visible: true,
      member_modify: true,
      shiny: "new",
    };
    expect(Group.parse(g).extra).toEqual({ shiny: "new" });
    expect(MaxImProfileSchema.parse({ user_id: 1, username: "u", vip: true })).toEqual({
      user_id: 1,
      username: "u",
      extra: { vip: true },
    });
    const batch = MaxImEndpoints.groupsInfo.response.parse([
      { group_id: 1, name: "g", owner: 2, status: 0, type: 0 },
    ]);
    expect(batch[0]?.owner).toBe(2);
  });

  it("WebQQ: unknown friend and poll-item fields land in extra", () => {
    const friends = FriendsResult.parse({
      categories: [],
      info: [{ face: 0, flag: 0, nick: "n", uin: 1, allow: 1 }],
      marknames: [],
      vipinfo: [],
      extra_top: 1,
    });
    expect(friends.extra).toEqual({ extra_top: 1 });
    expect(friends.info[0]?.extra).toEqual({ allow: 1 });
    const item = PollItem.parse({
      poll_type: "message",
      value: {
        msg_id: 1,
        msg_id2: 2,
        from_uin: 3,
        to_uin: 4,
        msg_type: 9,
        reply_ip: 0,
        time: 5,
        content: [],
        seq: 8,
      },
    });
    expect(item.value.extra).toEqual({ seq: 8 });
  });

  it("VK Live: unknown chat message, user and event fields land in extra", () => {
    const m = ChatMessage.parse({
      id: 1,
      created_at: 2,
      author: { id: 3, nick: "a", glow: 1 },
      parts: [],
      pinned: false,
    });
    expect(m.extra).toEqual({ pinned: false });
    expect(m.author.extra).toEqual({ glow: 1 });
    const me = CurrentUser.parse({ user: { id: 5, nick: "me" }, channel: null, tier: "gold" });
    expect(me.user.id).toBe(5);
    expect(me.extra).toEqual({ tier: "gold" });
    const ev = EVENT_DATA.channel_follow_create.parse({
      user: { id: 1, nick: "f" },
      channel_url: "c",
      at: 9,
    });
    expect(ev.extra).toEqual({ at: 9 });
  });
});
