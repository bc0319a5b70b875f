/**
 * The one MaxIM endpoint table: for each of the server API's routes its HTTP method (the one the
 * client sends; `also` lists other methods the service accepts), path, auth, where the request
 * goes (`in`: query string or JSON body), its request schema (the emulator's, exactly what the
 * server checks) and its response schema (the success `data`, lenient). The client calls through
 * it (`MaxImClient.call`) and the emulator registers its routes from it: no path is written twice.
 */
import { z } from "zod";
import { defineEndpoints, type HttpMethod } from "../../core/endpoint.js";
import { lenient } from "../../core/extra.js";
import {
  AckQuery,
  Announcement,
  AnnouncementEditBody,
  AnnouncementQuery,
  ConversationDeleteQuery,
  ConversationPage,
  ConversationQuery,
  FileDeleteBody,
  FileQuery,
  FileRenameBody,
  FileResult,
  FileUploadBody,
  Group,
  GroupApplication,
  GroupApplyBody,
  GroupApprovalBody,
  GroupBanAllBody,
  GroupBanBody,
  GroupBlocked,
  GroupBoolValueBody,
  GroupCreateBody,
  GroupHandleBody,
  GroupIdBody,
  GroupInvitation,
  GroupInviteBody,
  GroupListBody,
  GroupMember,
  GroupMuteModeBody,
  GroupPageQuery,
  GroupPushModeBody,
  GroupQuery,
  GroupStringValueBody,
  GroupTransferBody,
  GroupUsersBody,
  MessageNotifyBody,
  MessageSendBody,
  PushNotifyBody,
  QrCode,
  QrInviteBody,
  RecallBody,
  SharedFile,
  UnreadItem,
  UserResult,
} from "./groups.js";
import {
  AddRosterBody,
  AdminPasswordBody,
  AvatarBody,
  ChangePasswordBody,
  Device,
  DeviceQuery,
  KickQuery,
  MayMessageQuery,
  MobileQuery,
  NicknameQuery,
  OnlineStatus,
  PageQuery,
  Profile,
  ProfileUpdateBody,
  PushAliasBody,
  RegisterBatchBody,
  RegisterBatchItem,
  RegisterBody,
  RosterApplication,
  RosterApplyBatchBody,
  RosterApplyBatchResult,
  RosterApplyBody,
  RosterDeclineBody,
  RosterExtBody,
  RosterInfo,
  RosterItem,
  SettingsUpdateBody,
  TagsBody,
  TargetUserQuery,
  TokenIdBody,
  TokenInfo,
  TokenLoginBody,
  TokenUserBody,
  UserIdListBody,
  UserListItem,
  UserListQuery,
  UsernameQuery,
  UserSettings,
} from "./users.js";

/** `none`: no access-token; `admin`: the app's admin token; `user`: any token (a user's, or admin + `user_id`). */
export type MaxImAuth = "none" | "admin" | "user";

/** A MaxIM route (see the file comment). */
export interface MaxImEndpoint<Req extends z.ZodType = z.ZodType, Res extends z.ZodType = z.ZodType> {
  method: HttpMethod;
  path: string;
  auth: MaxImAuth;
  /** Where `request` is sent: the query string or the JSON body. */
  in: "query" | "body";
  request: Req;
  response: Res;
  /** Other methods the service accepts on this path (the emulator registers them too). */
  also?: readonly HttpMethod[];
  /** Query parameters of a body request (paging of `/group/application_list`). */
  query?: z.ZodType;
  /** The answer is cursor-paged (`cursor` in the envelope). */
  paged?: boolean;
}

type More = Pick<MaxImEndpoint, "also" | "query" | "paged">;

function ep<
  const M extends HttpMethod,
  const P extends string,
  const A extends MaxImAuth,
  const I extends "query" | "body",
  Req extends z.ZodType,
  Res extends z.ZodType,
  const X extends More = Record<never, never>,
>(
  method: M,
  path: P,
  auth: A,
  input: I,
  request: Req,
  response: Res,
  more?: X,
): { method: M; path: P; auth: A; in: I; request: Req; response: Res } & X {
  return { method, path, auth, in: input, request, response, ...(more ?? ({} as X)) };
}

/** No parameters (unknown ones ignored, as the service does). */
export const NoInput = z.object({});
const Ok = z.boolean();
const Ids = z.array(z.number());
const PU: More = { also: ["PUT"] };
const PP: More = { also: ["POST"] };
const _PD: More = { also: ["DELETE"] };
/** `/roster/list` POST: details of these friends. */
export const RosterDetailsBody = z.object({ list: z.array(z.number().int().positive()).min(1).max(500) });
export const RosterNameQuery = z.object({ username: z.string().min(1).max(64) });
/** `/group/info/batch` items: the reference lists `owner` here, not `owner_id` as in `/group/info`. */
const GroupBrief = lenient({
  group_id: z.number(),
  name: z.string(),
  owner: z.number(),
  status: z.number(),
  type: z.number(),
  avatar: z.string().nullish(),
  capacity: z.number().nullish(),
  count: z.number().nullish(),
  apply_approval: z.number().nullish(),
  msg_mute_mode: z.number().nullish(),
  msg_push_mode: z.number().nullish(),
});

export const MaxImEndpoints = defineEndpoints({
  // ---------------------------------------------------------------- users
  registerUser: ep("POST", "/user/register/v2", "none", "body", RegisterBody, UserSettings),
  registerUsers: ep(
    "POST",
    "/user/register/batch",
    "admin",
    "body",
    RegisterBatchBody,
    z.array(RegisterBatchItem),
  ),
  tokenUser: ep("POST", "/token/user", "none", "body", TokenUserBody, TokenInfo),
  tokenId: ep("POST", "/token/id", "none", "body", TokenIdBody, TokenInfo),
  tokenLogin: ep("POST", "/token/login", "none", "body", TokenLoginBody, TokenInfo),
  profile: ep("GET", "/user/profile", "user", "query", NoInput, Profile),
  updateProfile: ep("PUT", "/user/profile", "user", "body", ProfileUpdateBody, Ok, PP),
  settings: ep("GET", "/user/settings", "user", "query", NoInput, UserSettings),
  updateSettings: ep("PUT", "/user/settings", "user", "body", SettingsUpdateBody, Ok, PP),
  onlineStatus: ep("GET", "/user/online_status", "user", "query", NoInput, OnlineStatus),
  disableUsers: ep("PUT", "/user/disable", "admin", "body", UserIdListBody, Ok, PP),
  enableUsers: ep("PUT", "/user/enable", "admin", "body", UserIdListBody, Ok, PP),
  kick: ep("PUT", "/user/kick", "user", "query", KickQuery, Ok, PP),
  pushAlias: ep("POST", "/user/push/alias", "user", "body", PushAliasBody, Ok),
  pushTags: ep("GET", "/user/push/tag", "user", "query", NoInput, z.array(z.string())),
  addPushTags: ep("POST", "/user/push/tag", "user", "body", TagsBody, Ok),
  removePushTags: ep("DELETE", "/user/push/tag", "user", "body", TagsBody, Ok),
  userList: ep("GET", "/user/list", "admin", "query", UserListQuery, z.array(UserListItem), { paged: true }),
  avatar: ep("PUT", "/user/avatar", "user", "body", AvatarBody, Ok, PP),
  mobile: ep("PUT", "/user/mobile", "user", "query", MobileQuery, Ok, PP),
  nickname: ep("PUT", "/user/nickname", "user", "query", NicknameQuery, Ok, PP),
  username: ep("PUT", "/user/username", "user", "query", UsernameQuery, Ok, PP),
  changePassword: ep("POST", "/user/change_password", "user", "body", ChangePasswordBody, Ok),
  changePasswordAdmin: ep("POST", "/user/change_password_admin", "admin", "body", AdminPasswordBody, Ok),
  devices: ep("GET", "/user/device/list", "user", "query", NoInput, z.array(Device), { paged: true }),
  removeDevice: ep("DELETE", "/user/device/remove", "user", "query", DeviceQuery, Ok, PP),
  // ---------------------------------------------------------------- friends
  addRoster: ep("POST", "/user/add_roster", "user", "body", AddRosterBody, Ok),
  rosters: ep("GET", "/user/rosters", "user", "query", NoInput, z.array(RosterItem)),
  friendIds: ep("GET", "/roster/list", "user", "query", PageQuery, Ids, { paged: true }),
  friendDetails: ep("POST", "/roster/list", "user", "body", RosterDetailsBody, z.array(RosterInfo)),
  applyFriend: ep("POST", "/roster/apply", "user", "body", RosterApplyBody, Ok),
  applyFriends: ep(
    "POST",
    "/roster/apply/batch",
    "user",
    "body",
    RosterApplyBatchBody,
    RosterApplyBatchResult,
  ),
  mayMessage: ep("GET", "/roster/may_message", "user", "query", MayMessageQuery, Ok),
  friendApplications: ep(
    "GET",
    "/roster/apply/list",
    "user",
    "query",
    PageQuery,
    z.array(RosterApplication),
    {
      paged: true,
    },
  ),
  acceptFriend: ep("PUT", "/roster/accept", "user", "query", TargetUserQuery, Ok, PP),
  declineFriend: ep("PUT", "/roster/decline", "user", "body", RosterDeclineBody, Ok, PP),
  deleteFriend: ep("DELETE", "/roster/delete", "user", "query", TargetUserQuery, Ok, PP),
  updateFriend: ep("PUT", "/roster/ext", "user", "body", RosterExtBody, Ok, PP),
  blockUser: ep("PUT", "/roster/block", "user", "query", TargetUserQuery, Ok, PP),
  unblockUser: ep("DELETE", "/roster/unblock", "user", "query", TargetUserQuery, Ok, PP),
  blockedUsers: ep("GET", "/roster/blocked_list", "user", "query", NoInput, Ids),
  findUserById: ep("GET", "/roster/id", "user", "query", TargetUserQuery, RosterInfo),
  findUserByName: ep("GET", "/roster/name", "user", "query", RosterNameQuery, RosterInfo),
  // ---------------------------------------------------------------- groups
  createGroup: ep("POST", "/group/create", "user", "body", GroupCreateBody, Group),
  destroyGroup: ep("DELETE", "/group/destroy", "user", "query", GroupQuery, Ok, PP),
  groupInfo: ep("GET", "/group/info", "user", "query", GroupQuery, Group),
  groupSettings: ep("GET", "/group/settings", "user", "query", GroupQuery, Group),
  groupsInfo: ep("POST", "/group/info/batch", "user", "body", GroupListBody, z.array(GroupBrief)),
  groupName: ep("PUT", "/group/info/name", "user", "body", GroupStringValueBody, Ok, PP),
  groupDescription: ep("PUT", "/group/info/description", "user", "body", GroupStringValueBody, Ok, PP),
  groupAvatar: ep("PUT", "/group/info/avatar", "user", "body", GroupStringValueBody, Ok, PP),
  groupExt: ep("PUT", "/group/info/ext", "user", "body", GroupStringValueBody, Ok, PP),
  allowMemberInvitation: ep(
    "PUT",
    "/group/settings/allow_member_invitation",
    "user",
    "body",
    GroupBoolValueBody,
    Ok,
    PP,
  ),
  allowMemberModify: ep(
    "PUT",
    "/group/settings/allow_member_modify",
    "user",
    "body",
    GroupBoolValueBody,
    Ok,
    PP,
  ),
  enableReadAck: ep("PUT", "/group/settings/enable_read_ack", "user", "body", GroupBoolValueBody, Ok, PP),
  historyVisible: ep("PUT", "/group/settings/history_visible", "user", "body", GroupBoolValueBody, Ok, PP),
  applyApproval: ep(
    "PUT",
    "/group/settings/require_admin_approval",
    "user",
    "body",
    GroupApprovalBody,
    Ok,
    PP,
  ),
  banAll: ep(
    "POST",
    "/group/settings/ban_all",
    "user",
    "body",
    GroupBanAllBody,
    lenient({ ban_expire_time: z.number() }),
  ),
  unbanAll: ep("POST", "/group/settings/unban_all", "user", "body", GroupIdBody, Ok),
  transferGroup: ep("PUT", "/group/transfer", "user", "body", GroupTransferBody, UserResult, PP),
  addGroupAdmins: ep("POST", "/group/admin/add", "user", "body", GroupUsersBody, z.array(UserResult)),
  removeGroupAdmins: ep(
    "DELETE",
    "/group/admin/remove",
    "user",
    "body",
    GroupUsersBody,
    z.array(UserResult),
    PP,
  ),
  groupAdmins: ep("GET", "/group/admin_list", "user", "query", GroupQuery, z.array(GroupMember)),
  members: ep("GET", "/group/member_list", "user", "query", GroupPageQuery, z.array(GroupMember), {
    paged: true,
  }),
  memberDisplayNames: ep(
    "POST",
    "/group/members/display_name",
    "user",
    "body",
    GroupUsersBody,
    z.array(GroupMember),
  ),
  displayName: ep("PUT", "/group/display_name", "user", "body", GroupStringValueBody, Ok, PP),
  joinedGroups: ep("GET", "/group/user_joined", "user", "query", NoInput, Ids),
  invite: ep("POST", "/group/invite", "user", "body", GroupInviteBody, z.array(UserResult)),
  handleInvitation: ep("PUT", "/group/invite/handle", "user", "body", GroupHandleBody, Ok, PP),
  invitations: ep("GET", "/group/invitation_list", "user", "query", PageQuery, z.array(GroupInvitation), {
    paged: true,
  }),
  applyGroup: ep("POST", "/group/apply", "user", "body", GroupApplyBody, UserResult),
  handleApplication: ep("PUT", "/group/apply/handle", "user", "body", GroupHandleBody, UserResult, PP),
  applications: ep(
    "POST",
    "/group/application_list",
    "user",
    "body",
    GroupListBody,
    z.array(GroupApplication),
    {
      query: PageQuery,
      paged: true,
    },
  ),
  kickMembers: ep("DELETE", "/group/kick", "user", "body", GroupUsersBody, z.array(UserResult), PP),
  leaveGroup: ep("DELETE", "/group/leave", "user", "query", GroupQuery, Ok, PP),
  blockGroupUsers: ep("POST", "/group/block", "user", "body", GroupUsersBody, z.array(UserResult)),
  unblockGroupUsers: ep("DELETE", "/group/unblock", "user", "body", GroupUsersBody, z.array(UserResult), PP),
  groupBlockedList: ep("GET", "/group/blocked_list", "user", "query", GroupPageQuery, z.array(GroupBlocked), {
    paged: true,
  }),
  banMembers: ep("POST", "/group/ban", "user", "body", GroupBanBody, z.array(UserResult)),
  unbanMembers: ep("POST", "/group/unban", "user", "body", GroupUsersBody, z.array(UserResult)),
  bannedMembers: ep("GET", "/group/banned_list", "user", "query", GroupPageQuery, z.array(GroupMember), {
    paged: true,
  }),
  groupPushMode: ep("PUT", "/group/msg/push_mode", "user", "body", GroupPushModeBody, Ok, PP),
  groupMuteMode: ep("PUT", "/group/msg/mute_mode", "user", "body", GroupMuteModeBody, Ok, PP),
  createAnnouncement: ep(
    "POST",
    "/group/announcement/edit",
    "user",
    "body",
    AnnouncementEditBody,
    Announcement,
  ),
  announcement: ep("GET", "/group/announcement", "user", "query", AnnouncementQuery, Announcement),
  lastAnnouncement: ep("GET", "/group/announcement/last", "user", "query", GroupQuery, Announcement),
  announcements: ep("GET", "/group/announcement/list", "user", "query", GroupQuery, z.array(Announcement)),
  deleteAnnouncement: ep("DELETE", "/group/announcement/delete", "user", "query", AnnouncementQuery, Ok, PP),
  uploadGroupFile: ep("POST", "/group/file/upload", "user", "body", FileUploadBody, SharedFile),
  groupFiles: ep("GET", "/group/file/list", "user", "query", GroupQuery, z.array(SharedFile)),
  groupFile: ep("GET", "/group/file", "user", "query", FileQuery, SharedFile),
  deleteGroupFiles: ep(
    "DELETE",
    "/group/file/delete",
    "user",
    "body",
    FileDeleteBody,
    z.array(FileResult),
    PP,
  ),
  renameGroupFile: ep("PUT", "/group/file/update_name", "user", "body", FileRenameBody, Ok, PP),
  groupQrCode: ep("GET", "/group/qrcode/sign", "user", "query", GroupQuery, QrCode),
  joinByQrCode: ep("POST", "/group/qrcode/invite", "user", "body", QrInviteBody, Ok),
  // ---------------------------------------------------------------- messages
  sendMessage: ep("POST", "/message/send", "user", "body", MessageSendBody, Ok, PU),
  sendNotification: ep("POST", "/message/notify", "admin", "body", MessageNotifyBody, Ok),
  recallMessage: ep("PUT", "/message/recall", "user", "body", RecallBody, Ok, PP),
  conversation: ep("GET", "/message/conversation", "user", "query", ConversationQuery, ConversationPage),
  unread: ep("GET", "/message/unread", "user", "query", NoInput, z.array(UnreadItem)),
  ack: ep("GET", "/message/ack", "user", "query", AckQuery, Ok),
  deleteConversation: ep("DELETE", "/message/conversation", "user", "query", ConversationDeleteQuery, Ok),
  // ---------------------------------------------------------------- push
  pushNotify: ep("POST", "/push/notify", "admin", "body", PushNotifyBody, Ok),
});

export type MaxImEndpointName = keyof typeof MaxImEndpoints;
