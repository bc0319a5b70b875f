/**
 * MaxIM server API wire schema (seed 001 + maxim-top/im.gitbook server-api reference): the single
 * source of truth shared by the emulator and the client. Requests are validated strictly on known
 * fields (unknown fields are ignored, as the real service does); responses are parsed leniently.
 */
import { z } from "zod";

export const DEFAULT_ENDPOINT = "https://api.maximtop.com";
/** The seed's example app id and access-token (the sandbox's default app accepts both). */
export const EXAMPLE_APP_ID = "welovemaxim";
export const EXAMPLE_ACCESS_TOKEN =
  "eyJ0eXAiOiJKV1QiLCJhbGciOiJIUzUxMiJ9.eyJhcHAiOiJkcGJkdmVrZmVjYm8iLCJzdWIiOiIyMCIsImNsdXN0ZXIiOjAsInJvbGUiOjIsImlhdCI6MTU2Nzk5NzQwOH0.U-iFpEwprrkf-mFkhHN_CWmF5nkBbRQLTjttN4Qlkzw3ET1Zke9OZdjutm90KSyDs9jjYvUSAGGsWVjLmDZlkg";

/** Header names exactly as the seed writes them. */
export const Header = { APP_ID: "app_id", ACCESS_TOKEN: "access-token", USER_ID: "user_id" } as const;

export const SUCCESS = 200;

/** The seed's appendix, verbatim descriptions. */
export const ERROR_CODES = {
  10000: "User does not exist",
  10001: "Incorrect verification code",
  10002: "Incorrect request parameter",
  10003: "Missing access-token parameter in header",
  10004: "User already exists",
  10005: "User already exists in friend list",
  10006: "User already exists in blacklist",
  10007: "Friend does not exist or expired",
  10008: "Invalid access-token in header",
  10009: "oss exception",
  10010: "User has no permission",
  10011: "user_id bound",
  10012: "User rejected friend request",
  12001: "上传PushImage到XiaomiPlatform失败",
  12002: "PushImageFile size需小于1M",
  12003: "上传PushImage到OPPOPlatform失败",
  12004: "Push的ImageAddressNone法Download Center",
  12005: "Push目标列表的长度不能超过500",
  12006: "没有开通PushFeatures",
  20000: "Server database exception",
  20001: "Group does not exist",
  20002: "The user is not a group member",
  20003: "msg_push_mode value is illegal",
  20004: "Group Owner cannot quit the group directly",
  20005: "Group transfer error: Assignee is not a group member",
  20006: "Group in repair mode",
  20007: "Number of groups in App exceeds limit",
  20008: "Number of user-created groups exceeds limit",
  20009: "Number of user-joined groups exceeds limit",
  20010: "Number of group members exceeds limit",
  20011: "This operation needs group member permission",
  20012: "This operation needs group Admin permission",
  20013: "This oeration needs group Owner permission",
  20014: "Application of membership expired or processed",
  20015: "Invitation of membership expired or processed",
  20016: "Times of user’s kicked-out exceeds limit, can no longer join group",
  20017: "User is already a group member",
  20018: "User is already blacklisted",
  20020: "Group announcement does not exist",
  20021: "Group announcement disabled by Admin",
  20022: "Group shared file does not exist",
  20023: "No permission to operate group shared file",
  20024: "Group invitation QR Code is illegal",
  20025: "Group invitation QR Code has expired",
  30021: "Invalid MaxIM License",
  30022: "Expired MaxIM License",
  30023: "MaxIM License limit exceeded",
  40000: "app_id does not exist",
} as const satisfies Record<number, string>;

export type ErrorCode = keyof typeof ERROR_CODES;

export function describeError(code: number): string {
  return (ERROR_CODES as Record<number, string>)[code] ?? `MaxIM error ${code}`;
}

/** Codes that mean the credentials are wrong (the client maps them to AuthError). */
export const AUTH_ERROR_CODES: readonly number[] = [10003, 10008, 40000];

export const ContentType = {
  TEXT: 0,
  IMAGE: 1,
  AUDIO: 2,
  VIDEO: 3,
  FILE: 4,
  LOCATION: 5,
  COMMAND: 6,
  FORWARD: 7,
} as const;
export type ContentTypeValue = (typeof ContentType)[keyof typeof ContentType];
export const CONTENT_TYPE_NAMES = [
  "TEXT",
  "IMAGE",
  "AUDIO",
  "VIDEO",
  "FILE",
  "LOCATION",
  "COMMAND",
  "FORWARD",
] as const;

export const TargetType = { USER: 1, GROUP: 2 } as const;

export const LIMITS = {
  /** Push audience lists (tag / alias / user_id / push_token): longer is 12005. */
  pushAudience: 500,
  /** member_list default page ("Optional, default 1,000"). */
  memberPage: 1000,
  /** Largest request body the emulator accepts; larger is 10002. */
  bodyBytes: 1024 * 1024,
  messageTargets: 1000,
  batchList: 500,
  /** transaction_id de-duplication window. */
  dedupeWindowMs: 10 * 60_000,
  /** `/user/list` page size: default (reference: 50 per page) and our maximum. */
  userPageDefault: 50,
  userPageMax: 1000,
} as const;

/** `platform` of `/user/device/list` (reference: 1 ios, 2 android, 3 windows, 4 mac, 5 linux, 6 web). */
export const DevicePlatform = { IOS: 1, ANDROID: 2, WINDOWS: 3, MAC: 4, LINUX: 5, WEB: 6 } as const;

// ---------------------------------------------------------------- primitives

/** int64 ids travel as JSON numbers; the emulator only hands out safe integers. */
export const Id = z.number().int().positive().max(Number.MAX_SAFE_INTEGER);
/** Query-string ids arrive as text. */
export const QueryId = z
  .string()
  .regex(/^[1-9][0-9]{0,15}$/)
  .transform(Number)
  .pipe(Id);
const QueryInt = z
  .string()
  .regex(/^-?[0-9]{1,9}$/)
  .transform(Number);
const Str = (max: number) => z.string().max(max);
/** `ext`/`config`/`attachment` are strings on the wire; objects are accepted and stringified. */
export const JsonText = z
  .union([z.string().max(64 * 1024), z.record(z.string(), z.unknown())])
  .transform((v) => (typeof v === "string" ? v : JSON.stringify(v)));

export const USERNAME_RE = /^[A-Za-z0-9_]{1,64}$/;
/** Seed: alphanumeric + underscore, not pure digits, not starting with maxim / mta. */
export const Username = z
  .string()
  .regex(USERNAME_RE)
  .refine((s) => !/^[0-9]+$/.test(s), "username cannot be pure numbers")
  .refine((s) => !/^(maxim|mta)/i.test(s), "username cannot begin with maxim or mta");
export const Password = z.string().min(1).max(128);

// ---------------------------------------------------------------- envelope

export const Envelope = z.looseObject({
  code: z.number(),
  message: z.string().nullish(),
  data: z.unknown().optional(),
  cursor: z.string().nullish(),
  version: z.number().nullish(),
  total: z.number().nullish(),
});
export type Envelope = z.infer<typeof Envelope>;

// ---------------------------------------------------------------- users

export const UserSettings = z.looseObject({
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
export const RegisterBatchItem = z.looseObject({
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
export const TokenInfo = z.looseObject({
  token: z.string(),
  user_id: z.number(),
  expire: z.number(),
  push_token: z.string().nullish(),
});
export type TokenInfo = z.infer<typeof TokenInfo>;

export const Profile = z.looseObject({
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
export const Device = z.looseObject({
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
export const UserListItem = z.looseObject({ user_id: z.number(), username: z.string(), status: z.number() });
export type UserListItem = z.infer<typeof UserListItem>;
export const UserIdListBody = z.object({ list: z.array(Id).min(1).max(LIMITS.batchList) });
export type UserIdListBody = z.input<typeof UserIdListBody>;
export const OnlineStatus = z.looseObject({ online: z.boolean() });
export const KickQuery = z.object({ device_sn: QueryInt.optional() });
export const PushAliasBody = z.object({ alias: Str(128).optional(), push_token: Str(256).min(1) });
export const TagsBody = z.object({ tags: z.array(Str(64)).max(100) });

// ---------------------------------------------------------------- friends

export const AddRosterBody = z.object({ list: z.array(Id).min(1).max(LIMITS.batchList) });
export type AddRosterBody = z.input<typeof AddRosterBody>;
export const RosterItem = z.looseObject({ user_id: z.number(), name: z.string().nullish() });
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
export const RosterApplyBatchResult = z.looseObject({
  success: z.array(z.number()),
  fails: z.array(z.looseObject({ user_id: z.number(), reason: z.string().nullish() })),
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
export const RosterApplication = z.looseObject({
  user_id: z.number(),
  reason: z.string().nullish(),
  status: z.number(),
  expired_time: z.number(),
});
export const RosterInfo = z.looseObject({
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

// ---------------------------------------------------------------- groups

export const GroupType = { PRIVATE: 0, CHATROOM: 2 } as const;
export const GroupStatus = { NORMAL: 0, DISSOLVED: 1 } as const;

export const Group = z.looseObject({
  name: z.string(),
  status: z.number(),
  description: z.string().nullish(),
  type: z.number(),
  group_id: z.number(),
  owner_id: z.number(),
  created_at: z.number(),
  updated_at: z.number(),
  member_invite: z.boolean(),
  apply_approval: z.number(),
  read_ack: z.boolean(),
  history_visible: z.boolean(),
  member_modify: z.boolean(),
  avatar: z.string().nullish(),
  ext: z.string().nullish(),
  capacity: z.number().nullish(),
  count: z.number().nullish(),
  ban_expire_time: z.number().nullish(),
  msg_mute_mode: z.number().nullish(),
  msg_push_mode: z.number().nullish(),
});
export type Group = z.infer<typeof Group>;

export const GroupCreateBody = z.object({
  name: Str(128).min(1),
  description: Str(1024).optional(),
  avatar: Str(2048).optional(),
  type: z.union([z.literal(0), z.literal(2)]).optional(),
  user_list: z.array(Id).max(LIMITS.batchList).optional(),
});
export type GroupCreateBody = z.input<typeof GroupCreateBody>;
export const GroupQuery = z.object({ group_id: QueryId });
export const GroupPageQuery = GroupQuery.extend(PageQuery.shape).extend({ version: QueryInt.optional() });
export const GroupUsersBody = z.object({ group_id: Id, user_list: z.array(Id).min(1).max(LIMITS.batchList) });
export type GroupUsersBody = z.input<typeof GroupUsersBody>;
export const GroupInviteBody = GroupUsersBody.extend({ reason: Str(256).optional() });
export type GroupInviteBody = z.input<typeof GroupInviteBody>;
export const GroupBanBody = GroupUsersBody.extend({ duration: z.number().int().min(-1).max(10_000_000) });
export const GroupHandleBody = z.object({ group_id: Id, user_id: Id, approval: z.boolean() });
export type GroupHandleBody = z.input<typeof GroupHandleBody>;
export const GroupApplyBody = z.object({ group_id: Id, reason: Str(256).optional() });
export const GroupTransferBody = z.object({ group_id: Id, new_owner: Id });
export const GroupStringValueBody = z.object({ group_id: Id, value: Str(4096) });
export const GroupBoolValueBody = z.object({ group_id: Id, value: z.boolean() });
export const GroupApprovalBody = z.object({ group_id: Id, apply_approval: z.number().int().min(0).max(2) });
export const GroupBanAllBody = z.object({ group_id: Id, duration: z.number().int().min(-1).max(10_000_000) });
export const GroupIdBody = z.object({ group_id: Id });
export const GroupPushModeBody = z.object({ group_id: Id, msg_push_mode: z.number().int() });
export const GroupMuteModeBody = z.object({ group_id: Id, msg_mute_mode: z.number().int().min(0).max(2) });
export const GroupListBody = z.object({ group_list: z.array(Id).min(1).max(LIMITS.batchList) });
export const QrInviteBody = z.object({ qr_info: Str(2048).min(1) });

export const UserResult = z.looseObject({
  user_id: z.number(),
  result: z.enum(["success", "fail"]),
  reason: z.string().nullish(),
});
export type UserResult = z.infer<typeof UserResult>;

export const GroupMember = z.looseObject({
  user_id: z.number(),
  join_time: z.number(),
  display_name: z.string().nullish(),
  expired_time: z.number().nullish(),
});
export type GroupMember = z.infer<typeof GroupMember>;

export const GroupApplication = z.looseObject({
  applicant_id: z.number(),
  group_id: z.number(),
  reason: z.string().nullish(),
  status: z.number(),
  expired_time: z.number(),
});
export const GroupInvitation = z.looseObject({
  group_id: z.number(),
  inviter_id: z.number(),
  invitee_id: z.number(),
  reason: z.string().nullish(),
  status: z.number(),
  expired_time: z.number(),
});
export const GroupBlocked = z.looseObject({
  group_id: z.number(),
  user_id: z.number(),
  created_at: z.union([z.string(), z.number()]),
});

export const AnnouncementEditBody = z.object({ group_id: Id, title: Str(256).min(1), content: Str(8192) });
export const AnnouncementQuery = GroupQuery.extend({ announcement_id: QueryId });
export const Announcement = z.looseObject({
  id: z.number(),
  group_id: z.number(),
  author: z.number(),
  title: z.string(),
  content: z.string(),
  created_at: z.number(),
});
export type Announcement = z.infer<typeof Announcement>;

export const FileUploadBody = z.object({
  group_id: Id,
  name: Str(256).min(1),
  size: z.number().int().min(0),
  type: Str(128).optional(),
  url: Str(2048).min(1),
});
export type FileUploadBody = z.input<typeof FileUploadBody>;
export const FileQuery = GroupQuery.extend({ file_id: QueryId });
export const FileDeleteBody = z.object({ group_id: Id, file_list: z.array(Id).min(1).max(LIMITS.batchList) });
export const FileRenameBody = z.object({ group_id: Id, file_id: Id, name: Str(256).min(1) });
export const SharedFile = z.looseObject({
  file_id: z.number(),
  group_id: z.number(),
  name: z.string(),
  size: z.number(),
  type: z.string().nullish(),
  url: z.string(),
  uploader: z.number(),
  created_at: z.number(),
  updated_at: z.number(),
});
export type SharedFile = z.infer<typeof SharedFile>;
export const FileResult = z.looseObject({
  file_id: z.number(),
  result: z.string(),
  reason: z.string().nullish(),
});
export const QrCode = z.looseObject({ qr_info: z.string(), create_at: z.number(), expire_at: z.number() });

// ---------------------------------------------------------------- messages

const Attachment = JsonText;
export const MessageSendBody = z
  .object({
    targets: z.array(Id).min(1).max(LIMITS.messageTargets),
    type: z.union([z.literal(1), z.literal(2)]),
    content_type: z.number().int().min(0).max(7),
    content: Str(64 * 1024).optional(),
    attachment: Attachment.optional(),
    ext: JsonText.optional(),
    config: JsonText.optional(),
    from_user_id: Id.optional(),
    transaction_id: z.union([Id, z.string().regex(/^[0-9A-Za-z_-]{1,64}$/)]).optional(),
  })
  .superRefine((b, ctx) => {
    const needsAttachment = b.content_type >= 1 && b.content_type <= 4;
    if (needsAttachment && b.attachment === undefined) {
      ctx.addIssue({
        code: "custom",
        path: ["attachment"],
        message: "attachment required for this content_type",
      });
    }
    if (!needsAttachment && b.content === undefined) {
      ctx.addIssue({ code: "custom", path: ["content"], message: "content required" });
    }
  });
export type MessageSendBody = z.input<typeof MessageSendBody>;
/** `/message/notify` (system notification) takes the body of `/message/send`. */
export const MessageNotifyBody = MessageSendBody;
export type MessageNotifyBody = MessageSendBody;
export const RecallBody = z.object({ conversation_id: Id, msg_id: Id });
/** A user id, a group id, or 0 (the app's system conversation). */
export const ConversationDeleteQuery = z.object({
  conversation_id: z
    .string()
    .regex(/^[0-9]{1,16}$/)
    .transform(Number),
});
export const ConversationQuery = z.object({
  /** A user id, a group id, or 0 for messages from the app (system sender). */
  opposite_id: z
    .string()
    .regex(/^[0-9]{1,16}$/)
    .transform(Number),
  msg_id_start: z
    .string()
    .regex(/^[0-9]{1,16}$/)
    .transform(Number),
  limit: QueryInt.pipe(z.number().int().min(1).max(200)),
});
export const AckQuery = z.object({
  conversation_id: QueryId,
  msg_id: QueryId.optional(),
  device_sn: QueryInt.optional(),
});
export const Xid = z.looseObject({ uid: z.number(), device_sn: z.number() });
export const StoredMessage = z.looseObject({
  msg_id: z.number(),
  from_xid: Xid,
  to_xid: Xid,
  ctype: z.string(),
  content: z.string().nullish(),
  attachment: z.string().nullish(),
  ext: z.string().nullish(),
  config: z.string().nullish(),
  status: z.string(),
  timestamp: z.number(),
});
export type StoredMessage = z.infer<typeof StoredMessage>;
export const ConversationPage = z.looseObject({
  messages: z.array(StoredMessage),
  is_last: z.boolean(),
  next_msg_id: z.number().nullish(),
});
export const UnreadItem = z.looseObject({
  conversation_id: z.looseObject({ uid: z.number() }),
  num: z.number(),
});

// ---------------------------------------------------------------- push

const AudienceList = <T extends z.ZodType>(item: T) => z.array(item).min(1);
export const Audience = z.union([
  z.literal("all"),
  z.object({ tag: AudienceList(Str(128)) }).strict(),
  z.object({ alias: AudienceList(Str(128)) }).strict(),
  z.object({ user_id: AudienceList(Id) }).strict(),
  z.object({ push_token: AudienceList(Str(256)) }).strict(),
]);
export type Audience = z.infer<typeof Audience>;
export const PushMessage = z.object({
  type: z.enum(["text", "image", "cmd"]).default("text"),
  title: Str(256).optional(),
  body: Str(4096).optional(),
  attachment_url: Str(2048).optional(),
  ext: z.record(z.string(), z.unknown()).optional(),
});
export const PushNotifyBody = z.object({ audience: Audience, message: PushMessage });
export type PushNotifyBody = z.input<typeof PushNotifyBody>;

/** Length of the list inside an audience (0 for "all"). */
export function audienceSize(audience: unknown): number {
  if (audience === null || typeof audience !== "object") return 0;
  let n = 0;
  for (const v of Object.values(audience)) if (Array.isArray(v)) n = Math.max(n, v.length);
  return n;
}
