/** MaxIM wire schemas: users and friends (rosters). */
import { z } from "zod";
import { lenient } from "../../core/extra.js";
import { Id, LIMITS, Password, QueryId, QueryInt, Str, Username } from "./wire.js";

// ---------------------------------------------------------------- users

export const UserSettings = lenient({
  user_id: z.number(),
  auto_download: z.boolean(),
  group_confirm: z.boolean(),
  no_sounds: z.boolean(),
  no_push: z.boolean(),
  vibratory: z.boolean(),
  no_push_detail: z.boolean(),
  auth_mode: z.number(),
  no_push_start_hour: z.number(),
  no_push_end_hour: z.number(),
  auth_question: z.string().nullish(),
  push_nick_name: z.string().nullish(),
});
export type UserSettings = z.infer<typeof UserSettings>;

export const RegisterBody = z.object({ username: Username, password: Password });
export type RegisterBody = z.input<typeof RegisterBody>;
export const RegisterBatchBody = z.object({
  list: z
    .array(z.object({ username: z.unknown(), password: z.unknown() }))
    .min(1)
    .max(LIMITS.batchList),
});
export type RegisterBatchBody = { list: { username: string; password: string }[] };
export const RegisterBatchItem = lenient({
  success: z.boolean(),
  user_id: z.number().nullish(),
  username: z.string().nullish(),
  reason: z.string().nullish(),
});

export const TokenUserBody = z.object({
  name: z.string().min(1).max(64),
  password: Password,
  device_guid: Str(128).optional(),
});
export type TokenUserBody = z.input<typeof TokenUserBody>;
/** `/token/id`: login by user id (reference token.md 5.1). */
export const TokenIdBody = z.object({
  user_id: Id,
  password: Password,
  device_guid: Str(128).min(1).optional(),
});
export type TokenIdBody = z.input<typeof TokenIdBody>;
/** `/token/login`: `login_name` is a username, mobile number or email (reference token.md 5.2). */
export const TokenLoginBody = z.object({
  login_name: z.string().min(1).max(128),
  password: Password,
  device_guid: Str(128).min(1).optional(),
});
export type TokenLoginBody = z.input<typeof TokenLoginBody>;
/** `push_token` only when the login named a `device_guid` ("if set, returns PushToken"). */
export const TokenInfo = lenient({
  token: z.string(),
  user_id: z.number(),
  expire: z.number(),
  push_token: z.string().nullish(),
});
export type TokenInfo = z.infer<typeof TokenInfo>;

export const Profile = lenient({
  user_id: z.number(),
  username: z.string(),
  nick_name: z.string().nullish(),
  avatar: z.string().nullish(),
  description: z.string().nullish(),
  email: z.string().nullish(),
  mobile: z.string().nullish(),
  public_info: z.string().nullish(),
  private_info: z.string().nullish(),
});
export type Profile = z.infer<typeof Profile>;
export const ProfileUpdateBody = z.object({
  nick_name: Str(64).optional(),
  description: Str(1024).optional(),
  public_info: Str(4096).optional(),
  private_info: Str(4096).optional(),
  avatar: Str(2048).optional(),
});
export type ProfileUpdateBody = z.input<typeof ProfileUpdateBody>;

export const SettingsUpdateBody = z.object({
  auto_download: z.boolean().optional(),
  group_confirm: z.boolean().optional(),
  no_sounds: z.boolean().optional(),
  no_push: z.boolean().optional(),
  vibratory: z.boolean().optional(),
  no_push_detail: z.boolean().optional(),
  auth_mode: z.number().int().min(0).max(3).optional(),
  auth_question: Str(256).optional(),
  auth_answer: Str(256).optional(),
  no_push_start_hour: z.number().int().min(0).max(23).optional(),
  no_push_end_hour: z.number().int().min(0).max(23).optional(),
  push_nick_name: Str(64).optional(),
});
export type SettingsUpdateBody = z.input<typeof SettingsUpdateBody>;

export const AvatarBody = z.object({ avatar: Str(2048).min(1) });
export const MobileQuery = z.object({ mobile: z.string().regex(/^\+?[0-9]{3,20}$/) });
export const NicknameQuery = z.object({ nick_name: z.string().min(1).max(64) });
export const UsernameQuery = z.object({ username: Username });
export const ChangePasswordBody = z.object({ old_password: Password, new_password: Password });
export type ChangePasswordBody = z.input<typeof ChangePasswordBody>;
/** `/user/change_password_admin`: an app token sets the `user_id` header's user's password. */
export const AdminPasswordBody = z.object({ password: Password });
export const DeviceQuery = z.object({ device_sn: QueryInt.pipe(z.number().int().min(1)) });
export const Device = lenient({
  device_sn: z.number(),
  platform: z.number(),
  user_agent: z.string().nullish(),
  user_id: z.number(),
});
export type Device = z.infer<typeof Device>;
/** `/user/list`: the reference's `page_num`/`page_size`; `cursor` (last user_id) walks past any page. */
export const UserListQuery = z.object({
  page_num: QueryInt.pipe(z.number().int().min(1)).optional(),
  page_size: QueryInt.pipe(z.number().int().min(1).max(LIMITS.userPageMax)).optional(),
  cursor: z
    .string()
    .regex(/^[0-9]{1,16}$/)
    .optional(),
});
export const UserListItem = lenient({ user_id: z.number(), username: z.string(), status: z.number() });
export type UserListItem = z.infer<typeof UserListItem>;
export const UserIdListBody = z.object({ list: z.array(Id).min(1).max(LIMITS.batchList) });
export type UserIdListBody = z.input<typeof UserIdListBody>;
export const OnlineStatus = lenient({ online: z.boolean() });
export const KickQuery = z.object({ device_sn: QueryInt.optional() });
export const PushAliasBody = z.object({ alias: Str(128).optional(), push_token: Str(256).min(1) });
export const TagsBody = z.object({ tags: z.array(Str(64)).max(100) });

// ---------------------------------------------------------------- friends

export const AddRosterBody = z.object({ list: z.array(Id).min(1).max(LIMITS.batchList) });
export type AddRosterBody = z.input<typeof AddRosterBody>;
export const RosterItem = lenient({ user_id: z.number(), name: z.string().nullish() });
export type RosterItem = z.infer<typeof RosterItem>;
export const RosterApplyBody = z.object({
  user_id: Id,
  reason: Str(256).optional(),
  alias: Str(64).optional(),
  auth_answer: Str(256).optional(),
});
export type RosterApplyBody = z.input<typeof RosterApplyBody>;
/** `/roster/apply/batch`: the body is a bare array of applications (reference roster 3.3). */
export const RosterApplyBatchBody = z
  .array(z.object({ user_id: Id, reason: Str(256).optional(), alias: Str(64).optional() }))
  .min(1)
  .max(LIMITS.batchList);
export type RosterApplyBatchBody = z.input<typeof RosterApplyBatchBody>;
export const RosterApplyBatchResult = lenient({
  success: z.array(z.number()),
  fails: z.array(lenient({ user_id: z.number(), reason: z.string().nullish() })),
});
export type RosterApplyBatchResult = z.infer<typeof RosterApplyBatchResult>;
export const MayMessageQuery = z.object({ roster_id: QueryId, user_id: QueryId });
export const RosterDeclineBody = z.object({ user_id: Id, reason: Str(256).optional() });
export const RosterExtBody = z.object({
  user_id: Id,
  alias: Str(64).optional(),
  ext: Str(4096).optional(),
  mute_notification: z.boolean().optional(),
});
export type RosterExtBody = z.input<typeof RosterExtBody>;
export const TargetUserQuery = z.object({ user_id: QueryId });
export const PageQuery = z.object({
  cursor: z
    .string()
    .regex(/^[0-9]{1,16}$/)
    .optional(),
  limit: QueryInt.pipe(z.number().int().min(1).max(LIMITS.memberPage)).optional(),
});
export const RosterApplication = lenient({
  user_id: z.number(),
  reason: z.string().nullish(),
  status: z.number(),
  expired_time: z.number(),
});
export const RosterInfo = lenient({
  user_id: z.number(),
  username: z.string(),
  nick_name: z.string().nullish(),
  alias: z.string().nullish(),
  ext: z.string().nullish(),
  mute_notification: z.boolean().nullish(),
  auth_mode: z.number(),
  auth_question: z.string().nullish(),
  avatar: z.string().nullish(),
  description: z.string().nullish(),
  public_info: z.string().nullish(),
  relation: z.number(),
});
export type RosterInfo = z.infer<typeof RosterInfo>;
/** `relation` in RosterInfo. */
export const Relation = { FRIEND: 0, STRANGER: 2, BLOCKED: 1 } as const;
