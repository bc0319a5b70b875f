/** WebQQ request bodies (`r=` JSON, strict), responses (lenient) and poll items. */
import { z } from "zod";
import { lenient } from "../../core/extra.js";

export const Id = z.union([
  z.number().int().nonnegative(),
  z
    .string()
    .regex(/^\d{1,20}$/)
    .transform(Number),
]);
export const ClientId = z.union([
  z.string().regex(/^\d{1,20}$/),
  z.number().int().nonnegative().transform(String),
]);

export const Login2R = z.object({
  status: z.string().default("online"),
  ptwebqq: z.string().min(1),
  passwd_sig: z.string().optional(),
  clientid: ClientId,
  psessionid: z.string().nullish(),
});
export type Login2R = z.input<typeof Login2R>;

export const PollR = z.object({
  clientid: ClientId,
  psessionid: z.string().min(1),
  key: z.union([z.number(), z.string()]).optional(),
  ids: z.array(z.unknown()).optional(),
});

const SendCommon = {
  content: z.string().min(1).max(65_536),
  msg_id: z.number().int().nonnegative(),
  clientid: ClientId,
  psessionid: z.string().min(1),
  face: z.number().int().optional(),
  key: z.string().optional(),
  sig: z.string().optional(),
};
export const SendBuddyR = z.object({ to: Id, ...SendCommon });
export const SendQunR = z.object({ group_uin: Id, ...SendCommon });
export const SendDiscuR = z.object({ did: Id, ...SendCommon });
export const SendSessR = z.object({
  to: Id,
  group_sig: z.string().min(1),
  service_type: z.number().int().default(0),
  ...SendCommon,
});
export type SendBuddyR = z.input<typeof SendBuddyR>;
export type SendQunR = z.input<typeof SendQunR>;
export type SendDiscuR = z.input<typeof SendDiscuR>;
export type SendSessR = z.input<typeof SendSessR>;

/** get_user_friends2 / get_group_name_list_mask2: `{vfwebqq, hash}`; the older get_user_friend2 sends `{h:"hello", vfwebqq}`. */
export const HashR = z.object({
  vfwebqq: z.string().min(1),
  hash: z.string().optional(),
  h: z.string().optional(),
});
export const RecentR = z.object({
  vfwebqq: z.string().min(1),
  clientid: ClientId,
  psessionid: z.string().min(1),
});

export const STATUSES = ["online", "hidden", "away", "busy", "callme", "offline", "silent"] as const;
export type Status = (typeof STATUSES)[number];

// ---------------------------------------------------------------------------------------------
// Responses (lenient: unknown fields kept)

export const Envelope = lenient({
  retcode: z.number(),
  result: z.unknown().optional(),
  errmsg: z.string().optional(),
  p: z.string().optional(),
  t: z.string().optional(),
});
export type Envelope = z.infer<typeof Envelope>;

export const Login2Result = lenient({
  uin: z.number(),
  cip: z.number().optional(),
  index: z.number().optional(),
  port: z.number().optional(),
  status: z.string(),
  vfwebqq: z.string(),
  psessionid: z.string(),
  user_state: z.number().optional(),
  f: z.number().optional(),
});
export type Login2Result = z.infer<typeof Login2Result>;

export const FriendsResult = lenient({
  categories: z.array(lenient({ index: z.number(), sort: z.number(), name: z.string() })),
  friends: z.array(lenient({ flag: z.number(), uin: z.number(), categories: z.number() })).default([]),
  info: z.array(lenient({ face: z.number(), flag: z.number(), nick: z.string(), uin: z.number() })),
  marknames: z.array(lenient({ uin: z.number(), markname: z.string() })),
  vipinfo: z.array(lenient({ vip_level: z.number(), u: z.number(), is_vip: z.number() })),
});
export type FriendsResult = z.infer<typeof FriendsResult>;

export const GroupListResult = lenient({
  gmasklist: z.array(z.unknown()).default([]),
  gnamelist: z.array(lenient({ flag: z.number(), name: z.string(), gid: z.number(), code: z.number() })),
  gmarklist: z.array(z.unknown()).default([]),
});
export type GroupListResult = z.infer<typeof GroupListResult>;

export const GroupInfoResult = lenient({
  ginfo: lenient({
    gid: z.number(),
    code: z.number(),
    name: z.string(),
    owner: z.number(),
    flag: z.number(),
    createtime: z.number(),
    memo: z.string(),
    members: z.array(lenient({ muin: z.number(), mflag: z.number() })),
  }),
  minfo: z.array(lenient({ uin: z.number(), nick: z.string() })),
  stats: z.array(lenient({ uin: z.number(), client_type: z.number(), stat: z.number() })),
  vipinfo: z.array(z.unknown()).default([]),
});
export type GroupInfoResult = z.infer<typeof GroupInfoResult>;

export const DiscusListResult = lenient({
  dnamelist: z.array(lenient({ name: z.string(), did: z.number() })),
});
export type DiscusListResult = z.infer<typeof DiscusListResult>;

export const DiscuInfoResult = lenient({
  info: lenient({
    did: z.number(),
    discu_owner: z.number(),
    discu_name: z.string(),
    info_seq: z.number(),
    mem_list: z.array(lenient({ mem_uin: z.number(), ruin: z.number() })),
  }),
  mem_status: z.array(lenient({ uin: z.number(), status: z.string(), client_type: z.number() })),
  mem_info: z.array(lenient({ uin: z.number(), nick: z.string() })),
});
export type DiscuInfoResult = z.infer<typeof DiscuInfoResult>;

export const FriendUinResult = lenient({ uiuin: z.string(), account: z.number(), uin: z.number() });
export type FriendUinResult = z.infer<typeof FriendUinResult>;

export const UserInfo = lenient({
  uin: z.number(),
  nick: z.string(),
  face: z.number(),
  gender: z.string(),
  country: z.string(),
  province: z.string(),
  city: z.string(),
  birthday: lenient({ year: z.number(), month: z.number(), day: z.number() }),
  account: z.number().optional(),
  lnick: z.string().optional(),
});
export type UserInfo = z.infer<typeof UserInfo>;

export const LongNickResult = z.array(lenient({ uin: z.number(), lnick: z.string() }));
export const OnlineBuddiesResult = z.array(
  lenient({ uin: z.number(), status: z.string(), client_type: z.number() }),
);
export const RecentListResult = z.array(lenient({ uin: z.number(), type: z.number() }));
export const GfaceSigResult = lenient({
  reply: z.number(),
  gface_key: z.string(),
  gface_sig: z.string(),
});
export type GfaceSigResult = z.infer<typeof GfaceSigResult>;
export const C2cMsgSigResult = lenient({ type: z.number(), value: z.string(), flags: z.unknown() });
export type C2cMsgSigResult = z.infer<typeof C2cMsgSigResult>;

// ---------------------------------------------------------------------------------------------
// Poll items

/** msg_type per poll_type (seeds 002 / 004). */
export const MSG_TYPE = {
  message: 9,
  group_message: 43,
  discu_message: 42,
  sess_message: 140,
  kick_message: 48,
  input_notify: 121,
} as const;

const Base = {
  msg_id: z.number(),
  msg_id2: z.number(),
  from_uin: z.number(),
  to_uin: z.number(),
  msg_type: z.number(),
  reply_ip: z.number(),
  time: z.number(),
};
const Content = z.array(z.unknown());

export const PollItem = z.discriminatedUnion("poll_type", [
  lenient({ poll_type: z.literal("message"), value: lenient({ ...Base, content: Content }) }),
  lenient({
    poll_type: z.literal("group_message"),
    value: lenient({
      ...Base,
      content: Content,
      group_code: z.number(),
      send_uin: z.number(),
      info_seq: z.number(),
      seq: z.number(),
    }),
  }),
  lenient({
    poll_type: z.literal("discu_message"),
    value: lenient({
      ...Base,
      content: Content,
      did: z.number(),
      send_uin: z.number(),
      info_seq: z.number(),
      seq: z.number(),
    }),
  }),
  lenient({
    poll_type: z.literal("sess_message"),
    value: lenient({
      ...Base,
      content: Content,
      id: z.number(),
      ruin: z.number(),
      service_type: z.number(),
    }),
  }),
  lenient({
    poll_type: z.literal("buddies_status_change"),
    value: lenient({ uin: z.number(), status: z.string(), client_type: z.number() }),
  }),
  lenient({
    poll_type: z.literal("kick_message"),
    value: lenient({
      msg_id: z.number(),
      msg_id2: z.number(),
      from_uin: z.number(),
      to_uin: z.number(),
      msg_type: z.number(),
      reply_ip: z.number(),
      reason: z.string(),
      show_reason: z.number(),
    }),
  }),
  lenient({ poll_type: z.literal("input_notify"), value: lenient({ ...Base }) }),
]);
export type PollItem = z.infer<typeof PollItem>;
export type PollType = PollItem["poll_type"];

/** `key=value` form of a request: `r` is the JSON string. */
export function rForm(r: unknown, extra: Record<string, string> = {}): URLSearchParams {
  const p = new URLSearchParams();
  p.set("r", JSON.stringify(r));
  for (const [k, v] of Object.entries(extra)) p.set(k, v);
  return p;
}
