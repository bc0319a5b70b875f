/** MaxIM wire schemas: groups, messages and push. */
import { z } from "zod";
import { lenient } from "../../core/extra.js";
import { PageQuery } from "./users.js";
import { Id, JsonText, LIMITS, QueryId, QueryInt, Str } from "./wire.js";

// ---------------------------------------------------------------- groups

export const GroupType = { PRIVATE: 0, CHATROOM: 2 } as const;
export const GroupStatus = { NORMAL: 0, DISSOLVED: 1 } as const;

export const Group = lenient({
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

export const UserResult = lenient({
  user_id: z.number(),
  result: z.enum(["success", "fail"]),
  reason: z.string().nullish(),
});
export type UserResult = z.infer<typeof UserResult>;

export const GroupMember = lenient({
  user_id: z.number(),
  join_time: z.number(),
  display_name: z.string().nullish(),
  expired_time: z.number().nullish(),
});
export type GroupMember = z.infer<typeof GroupMember>;

export const GroupApplication = lenient({
  applicant_id: z.number(),
  group_id: z.number(),
  reason: z.string().nullish(),
  status: z.number(),
  expired_time: z.number(),
});
export const GroupInvitation = lenient({
  group_id: z.number(),
  inviter_id: z.number(),
  invitee_id: z.number(),
  reason: z.string().nullish(),
  status: z.number(),
  expired_time: z.number(),
});
export const GroupBlocked = lenient({
  group_id: z.number(),
  user_id: z.number(),
  created_at: z.union([z.string(), z.number()]),
});

export const AnnouncementEditBody = z.object({ group_id: Id, title: Str(256).min(1), content: Str(8192) });
export const AnnouncementQuery = GroupQuery.extend({ announcement_id: QueryId });
export const Announcement = lenient({
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
export const SharedFile = lenient({
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
export const FileResult = lenient({
  file_id: z.number(),
  result: z.string(),
  reason: z.string().nullish(),
});
export const QrCode = lenient({ qr_info: z.string(), create_at: z.number(), expire_at: z.number() });

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
export const Xid = lenient({ uid: z.number(), device_sn: z.number() });
export const StoredMessage = lenient({
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
export const ConversationPage = lenient({
  messages: z.array(StoredMessage),
  is_last: z.boolean(),
  next_msg_id: z.number().nullish(),
});
export const UnreadItem = lenient({
  conversation_id: lenient({ uid: z.number() }),
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
