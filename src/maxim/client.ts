import { z } from "zod";
import { ApiError, AuthError, ValidationError } from "../core/errors.js";
import { HttpClient, type HttpResponse, type Query } from "../core/http.js";
import type { Logger } from "../core/log.js";
import {
  AddRosterBody,
  AdminPasswordBody,
  Announcement,
  AUTH_ERROR_CODES,
  AvatarBody,
  ChangePasswordBody,
  ConversationPage,
  DEFAULT_ENDPOINT,
  Device,
  describeError,
  Envelope,
  FileResult,
  FileUploadBody,
  Group,
  GroupApplication,
  GroupBlocked,
  GroupCreateBody,
  type GroupHandleBody,
  GroupInvitation,
  GroupInviteBody,
  GroupMember,
  GroupUsersBody,
  Header,
  MessageNotifyBody,
  MessageSendBody,
  MobileQuery,
  OnlineStatus,
  Profile,
  ProfileUpdateBody,
  PushNotifyBody,
  QrCode,
  RegisterBatchItem,
  RegisterBody,
  RosterApplication,
  RosterApplyBatchBody,
  RosterApplyBatchResult,
  RosterApplyBody,
  RosterExtBody,
  RosterInfo,
  RosterItem,
  SettingsUpdateBody,
  SharedFile,
  type StoredMessage,
  SUCCESS,
  TokenIdBody,
  TokenInfo,
  TokenLoginBody,
  TokenUserBody,
  UnreadItem,
  UserListItem,
  UsernameQuery,
  UserResult,
  UserSettings,
} from "./protocol.js";

export interface MaxImClientOptions {
  /** `api_endpoint` of the app (default the public cloud). */
  endpoint?: string;
  appId: string;
  /** App (admin) token or a user token. */
  accessToken?: string;
  /** Per-attempt timeout, default 30 s. */
  timeoutMs?: number;
  /** Retries of safe requests (GET/PUT/DELETE, sends with transaction_id), default 2. */
  retries?: number;
  fetch?: typeof fetch;
  logger?: Logger;
}

interface CallOptions {
  query?: Query;
  body?: unknown;
  idempotent?: boolean;
  signal?: AbortSignal;
}

/** Retried with backoff for idempotent calls: the server's transient database error. */
const RETRYABLE_CODES = new Set([20000]);

function validate<S extends z.ZodType>(schema: S, input: unknown, what: string): z.output<S> {
  const r = schema.safeParse(input);
  if (r.success) return r.data;
  const issues = r.error.issues.map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`);
  throw new ValidationError(`Invalid ${what}: ${issues.join("; ")}`, {
    platform: "maxim",
    code: 10002,
    issues,
  });
}

/**
 * Typed client of the MaxIM server API. One method per endpoint; `asUser(id)` returns a client
 * that sends the seed's `user_id` header (an app token acting as that user).
 */
export class MaxImClient {
  readonly appId: string;
  readonly userId: number | undefined;
  readonly #options: MaxImClientOptions;
  readonly #http: HttpClient;

  constructor(options: MaxImClientOptions, userId?: number) {
    this.#options = options;
    this.appId = options.appId;
    this.userId = userId;
    this.#http = new HttpClient({
      baseUrl: options.endpoint ?? DEFAULT_ENDPOINT,
      platform: "maxim",
      timeoutMs: options.timeoutMs,
      retries: options.retries,
      fetch: options.fetch,
      logger: options.logger,
      headers: () => {
        const h: Record<string, string> = { [Header.APP_ID]: options.appId };
        if (options.accessToken) h[Header.ACCESS_TOKEN] = options.accessToken;
        if (userId !== undefined) h[Header.USER_ID] = String(userId);
        return h;
      },
      mapResponse: (res, ctx) => MaxImClient.#mapError(res, ctx.method, ctx.url),
    });
  }

  /** The same credentials acting as `userId` (the `user_id` header). */
  asUser(userId: number): MaxImClient {
    return new MaxImClient(this.#options, userId);
  }

  /** The same endpoint and app with another access-token (e.g. a user token from `userToken`). */
  withToken(accessToken: string): MaxImClient {
    return new MaxImClient({ ...this.#options, accessToken }, undefined);
  }

  static #mapError(res: HttpResponse<unknown>, method: string, url: string): Error | undefined {
    const env = Envelope.safeParse(res.data);
    if (!env.success) {
      if (res.status >= 400) return undefined; // default HTTP status mapping
      return new ApiError(`MaxIM ${method} ${url}: response is not a MaxIM envelope`, {
        platform: "maxim",
        code: "bad_response",
        details: { method, url, status: res.status },
      });
    }
    const code = env.data.code;
    if (code === SUCCESS) return undefined;
    const description = describeError(code);
    const message = `MaxIM ${code}: ${description}`;
    const opts = {
      platform: "maxim" as const,
      code,
      retryable: RETRYABLE_CODES.has(code),
      details: { method, url, status: res.status, serverMessage: env.data.message ?? null },
    };
    return AUTH_ERROR_CODES.includes(code) ? new AuthError(message, opts) : new ApiError(message, opts);
  }

  async #envelope(method: string, path: string, o: CallOptions = {}): Promise<Envelope> {
    const res = await this.#http.request({
      method,
      path,
      query: o.query,
      json: o.body,
      idempotent: o.idempotent,
      signal: o.signal,
    });
    return Envelope.parse(res.data);
  }

  async #call<S extends z.ZodType>(
    schema: S,
    method: string,
    path: string,
    o: CallOptions = {},
  ): Promise<z.output<S>> {
    const env = await this.#envelope(method, path, o);
    const r = schema.safeParse(env.data);
    if (!r.success) {
      throw new ApiError(`MaxIM ${method} ${path}: unexpected response shape`, {
        platform: "maxim",
        code: "bad_response",
        details: { issues: r.error.issues.slice(0, 3).map((i) => i.path.join(".")) },
      });
    }
    return r.data;
  }

  /** Walks a cursor-paged list endpoint. */
  async *#pages<S extends z.ZodType>(
    item: S,
    method: string,
    path: string,
    query: Query,
    body?: unknown,
  ): AsyncGenerator<z.output<S>> {
    let cursor: string | undefined;
    do {
      const env = await this.#envelope(method, path, { query: { ...query, cursor }, body, idempotent: true });
      for (const row of z.array(item).parse(env.data ?? [])) yield row;
      cursor = env.cursor ?? undefined;
    } while (cursor);
  }

  // ---------------------------------------------------------------- users

  async registerUser(body: RegisterBody): Promise<UserSettings> {
    return this.#call(UserSettings, "POST", "/user/register/v2", {
      body: validate(RegisterBody, body, "registration"),
    });
  }
  async registerUsers(list: { username: string; password: string }[]) {
    return this.#call(z.array(RegisterBatchItem), "POST", "/user/register/batch", { body: { list } });
  }
  async userToken(body: TokenUserBody): Promise<TokenInfo> {
    return this.#call(TokenInfo, "POST", "/token/user", { body: validate(TokenUserBody, body, "login") });
  }
  /** A user token by user id and password (`/token/id`); `device_guid` also returns a push token. */
  async userTokenById(body: TokenIdBody): Promise<TokenInfo> {
    return this.#call(TokenInfo, "POST", "/token/id", { body: validate(TokenIdBody, body, "login") });
  }
  /** A user token by username, mobile number or email (`/token/login`). */
  async login(body: TokenLoginBody): Promise<TokenInfo> {
    return this.#call(TokenInfo, "POST", "/token/login", { body: validate(TokenLoginBody, body, "login") });
  }
  /** Every user of the app (app token), following `cursor` page by page. */
  users(options: { pageSize?: number } = {}): AsyncGenerator<UserListItem> {
    return this.#pages(UserListItem, "GET", "/user/list", { page_size: options.pageSize });
  }
  /** One page of `/user/list`: by `pageNum` (from 1) or by `cursor` from the previous page. */
  async userPage(options: { pageNum?: number; pageSize?: number; cursor?: string } = {}) {
    const env = await this.#envelope("GET", "/user/list", {
      query: { page_num: options.pageNum, page_size: options.pageSize, cursor: options.cursor },
    });
    return { users: z.array(UserListItem).parse(env.data ?? []), cursor: env.cursor ?? undefined };
  }
  async setAvatar(avatar: string): Promise<boolean> {
    return this.#call(z.boolean(), "PUT", "/user/avatar", {
      body: validate(AvatarBody, { avatar }, "avatar"),
    });
  }
  async setMobile(mobile: string): Promise<boolean> {
    return this.#call(z.boolean(), "PUT", "/user/mobile", {
      query: validate(MobileQuery, { mobile }, "mobile"),
    });
  }
  async setNickname(nickName: string): Promise<boolean> {
    return this.#call(z.boolean(), "PUT", "/user/nickname", { query: { nick_name: nickName } });
  }
  async setUsername(username: string): Promise<boolean> {
    return this.#call(z.boolean(), "PUT", "/user/username", {
      query: validate(UsernameQuery, { username }, "username"),
    });
  }
  /** Not retried: a repeat after success would fail on the old password. */
  async changePassword(oldPassword: string, newPassword: string): Promise<boolean> {
    const body = validate(
      ChangePasswordBody,
      { old_password: oldPassword, new_password: newPassword },
      "passwords",
    );
    return this.#call(z.boolean(), "POST", "/user/change_password", { body });
  }
  /** App token + `asUser(id)`: sets that user's password without the old one. */
  async setPasswordAsAdmin(password: string): Promise<boolean> {
    return this.#call(z.boolean(), "POST", "/user/change_password_admin", {
      body: validate(AdminPasswordBody, { password }, "password"),
      idempotent: true,
    });
  }
  /** The user's devices (one per `device_guid` it logged in with). */
  devices(): AsyncGenerator<Device> {
    return this.#pages(Device, "GET", "/user/device/list", {});
  }
  async removeDevice(deviceSn: number): Promise<boolean> {
    return this.#call(z.boolean(), "DELETE", "/user/device/remove", {
      query: { device_sn: deviceSn },
      idempotent: false,
    });
  }
  async profile(): Promise<Profile> {
    return this.#call(Profile, "GET", "/user/profile");
  }
  async updateProfile(body: ProfileUpdateBody): Promise<boolean> {
    return this.#call(z.boolean(), "PUT", "/user/profile", {
      body: validate(ProfileUpdateBody, body, "profile"),
    });
  }
  async settings(): Promise<UserSettings> {
    return this.#call(UserSettings, "GET", "/user/settings");
  }
  async updateSettings(body: SettingsUpdateBody): Promise<boolean> {
    return this.#call(z.boolean(), "PUT", "/user/settings", {
      body: validate(SettingsUpdateBody, body, "settings"),
    });
  }
  async onlineStatus() {
    return this.#call(OnlineStatus, "GET", "/user/online_status");
  }
  async disableUsers(list: number[]): Promise<boolean> {
    return this.#call(z.boolean(), "PUT", "/user/disable", { body: { list } });
  }
  async enableUsers(list: number[]): Promise<boolean> {
    return this.#call(z.boolean(), "PUT", "/user/enable", { body: { list } });
  }
  /** Logs the user out of every device (its tokens stop working). */
  async kick(deviceSn?: number): Promise<boolean> {
    return this.#call(z.boolean(), "PUT", "/user/kick", { query: { device_sn: deviceSn } });
  }
  async bindPushAlias(pushToken: string, alias?: string): Promise<boolean> {
    return this.#call(z.boolean(), "POST", "/user/push/alias", { body: { push_token: pushToken, alias } });
  }
  async pushTags(): Promise<string[]> {
    return this.#call(z.array(z.string()), "GET", "/user/push/tag");
  }
  async addPushTags(tags: string[]): Promise<boolean> {
    return this.#call(z.boolean(), "POST", "/user/push/tag", { body: { tags } });
  }
  async removePushTags(tags: string[]): Promise<boolean> {
    return this.#call(z.boolean(), "DELETE", "/user/push/tag", { body: { tags } });
  }

  // ---------------------------------------------------------------- friends

  /** Seed: makes the listed users friends of the acting user at once (app token). */
  async addRoster(list: number[]): Promise<boolean> {
    return this.#call(z.boolean(), "POST", "/user/add_roster", {
      body: validate(AddRosterBody, { list }, "list"),
    });
  }
  /** Seed: the acting user's friends with names. */
  async rosters(): Promise<RosterItem[]> {
    return this.#call(z.array(RosterItem), "GET", "/user/rosters");
  }
  friendIds(options: { limit?: number } = {}): AsyncGenerator<number> {
    return this.#pages(z.number(), "GET", "/roster/list", { limit: options.limit });
  }
  async friendDetails(list: number[]): Promise<RosterInfo[]> {
    return this.#call(z.array(RosterInfo), "POST", "/roster/list", { body: { list } });
  }
  async applyFriend(body: RosterApplyBody): Promise<boolean> {
    return this.#call(z.boolean(), "POST", "/roster/apply", {
      body: validate(RosterApplyBody, body, "application"),
    });
  }
  friendApplications(options: { limit?: number } = {}) {
    return this.#pages(RosterApplication, "GET", "/roster/apply/list", { limit: options.limit });
  }
  /** Applies to several users at once; each is refused or accepted on its own. */
  async applyFriends(list: RosterApplyBatchBody): Promise<RosterApplyBatchResult> {
    return this.#call(RosterApplyBatchResult, "POST", "/roster/apply/batch", {
      body: validate(RosterApplyBatchBody, list, "applications"),
    });
  }
  /** Whether `userId` may send messages to `rosterId` (false once `rosterId` blacklisted it). */
  async mayMessage(userId: number, rosterId: number): Promise<boolean> {
    return this.#call(z.boolean(), "GET", "/roster/may_message", {
      query: { user_id: userId, roster_id: rosterId },
    });
  }
  async acceptFriend(userId: number): Promise<boolean> {
    return this.#call(z.boolean(), "PUT", "/roster/accept", { query: { user_id: userId } });
  }
  async declineFriend(userId: number, reason?: string): Promise<boolean> {
    return this.#call(z.boolean(), "PUT", "/roster/decline", { body: { user_id: userId, reason } });
  }
  async deleteFriend(userId: number): Promise<boolean> {
    return this.#call(z.boolean(), "DELETE", "/roster/delete", { query: { user_id: userId } });
  }
  async updateFriend(body: RosterExtBody): Promise<boolean> {
    return this.#call(z.boolean(), "PUT", "/roster/ext", {
      body: validate(RosterExtBody, body, "friend update"),
    });
  }
  async blockUser(userId: number): Promise<boolean> {
    return this.#call(z.boolean(), "PUT", "/roster/block", { query: { user_id: userId } });
  }
  async unblockUser(userId: number): Promise<boolean> {
    return this.#call(z.boolean(), "DELETE", "/roster/unblock", { query: { user_id: userId } });
  }
  async blockedUsers(): Promise<number[]> {
    return this.#call(z.array(z.number()), "GET", "/roster/blocked_list");
  }
  async findUserById(userId: number): Promise<RosterInfo> {
    return this.#call(RosterInfo, "GET", "/roster/id", { query: { user_id: userId } });
  }
  async findUserByName(username: string): Promise<RosterInfo> {
    return this.#call(RosterInfo, "GET", "/roster/name", { query: { username } });
  }

  // ---------------------------------------------------------------- groups

  async createGroup(body: GroupCreateBody): Promise<Group> {
    return this.#call(Group, "POST", "/group/create", { body: validate(GroupCreateBody, body, "group") });
  }
  async destroyGroup(groupId: number): Promise<boolean> {
    return this.#call(z.boolean(), "DELETE", "/group/destroy", { query: { group_id: groupId } });
  }
  async groupInfo(groupId: number): Promise<Group> {
    return this.#call(Group, "GET", "/group/info", { query: { group_id: groupId } });
  }
  async groupSettings(groupId: number): Promise<Group> {
    return this.#call(Group, "GET", "/group/settings", { query: { group_id: groupId } });
  }
  async groupsInfo(groupList: number[]) {
    return this.#call(z.array(z.looseObject({ group_id: z.number() })), "POST", "/group/info/batch", {
      body: { group_list: groupList },
      idempotent: true,
    });
  }
  /** name | description | avatar | ext. */
  async updateGroupInfo(groupId: number, field: "name" | "description" | "avatar" | "ext", value: string) {
    return this.#call(z.unknown(), "PUT", `/group/info/${field}`, { body: { group_id: groupId, value } });
  }
  updateGroupSetting(
    groupId: number,
    setting: "allow_member_invitation" | "allow_member_modify" | "enable_read_ack" | "history_visible",
    value: boolean,
  ): Promise<boolean> {
    return this.#call(z.boolean(), "PUT", `/group/settings/${setting}`, {
      body: { group_id: groupId, value },
    });
  }
  /** 0 accept all, 1 admin approves, 2 reject all. */
  async setApplyApproval(groupId: number, applyApproval: 0 | 1 | 2): Promise<boolean> {
    return this.#call(z.boolean(), "PUT", "/group/settings/require_admin_approval", {
      body: { group_id: groupId, apply_approval: applyApproval },
    });
  }
  async banAll(groupId: number, durationMinutes: number) {
    return this.#call(z.looseObject({ ban_expire_time: z.number() }), "POST", "/group/settings/ban_all", {
      body: { group_id: groupId, duration: durationMinutes },
    });
  }
  async unbanAll(groupId: number): Promise<boolean> {
    return this.#call(z.boolean(), "POST", "/group/settings/unban_all", { body: { group_id: groupId } });
  }
  async transferGroup(groupId: number, newOwner: number) {
    return this.#call(UserResult, "PUT", "/group/transfer", {
      body: { group_id: groupId, new_owner: newOwner },
    });
  }
  async addGroupAdmins(groupId: number, userList: number[]): Promise<UserResult[]> {
    return this.#users("POST", "/group/admin/add", { group_id: groupId, user_list: userList });
  }
  async removeGroupAdmins(groupId: number, userList: number[]): Promise<UserResult[]> {
    return this.#users("DELETE", "/group/admin/remove", { group_id: groupId, user_list: userList });
  }
  async groupAdmins(groupId: number): Promise<GroupMember[]> {
    return this.#call(z.array(GroupMember), "GET", "/group/admin_list", { query: { group_id: groupId } });
  }
  /** Every member, following `cursor` page by page (`limit` per page, default 1000). */
  members(groupId: number, options: { limit?: number } = {}): AsyncGenerator<GroupMember> {
    return this.#pages(GroupMember, "GET", "/group/member_list", { group_id: groupId, limit: options.limit });
  }
  /** One page of members: `cursor` is absent on the last page. */
  async memberPage(groupId: number, options: { limit?: number; cursor?: string } = {}) {
    const env = await this.#envelope("GET", "/group/member_list", {
      query: { group_id: groupId, limit: options.limit, cursor: options.cursor },
    });
    return {
      members: z.array(GroupMember).parse(env.data ?? []),
      cursor: env.cursor ?? undefined,
      version: env.version,
    };
  }
  async memberDisplayNames(groupId: number, userList: number[]): Promise<GroupMember[]> {
    return this.#call(z.array(GroupMember), "POST", "/group/members/display_name", {
      body: { group_id: groupId, user_list: userList },
      idempotent: true,
    });
  }
  async setDisplayName(groupId: number, value: string): Promise<boolean> {
    return this.#call(z.boolean(), "PUT", "/group/display_name", { body: { group_id: groupId, value } });
  }
  async joinedGroups(): Promise<number[]> {
    return this.#call(z.array(z.number()), "GET", "/group/user_joined");
  }
  async invite(body: GroupInviteBody): Promise<UserResult[]> {
    return this.#users("POST", "/group/invite", validate(GroupInviteBody, body, "invitation"));
  }
  /** The invitee answers an invitation from `user_id` (the inviter). */
  async handleInvitation(body: GroupHandleBody): Promise<boolean> {
    return this.#call(z.boolean(), "PUT", "/group/invite/handle", { body });
  }
  invitations(options: { limit?: number } = {}) {
    return this.#pages(GroupInvitation, "GET", "/group/invitation_list", { limit: options.limit });
  }
  async applyGroup(groupId: number, reason?: string): Promise<UserResult> {
    return this.#call(UserResult, "POST", "/group/apply", { body: { group_id: groupId, reason } });
  }
  /** An admin answers the application of `user_id`. */
  async handleApplication(body: GroupHandleBody): Promise<UserResult> {
    return this.#call(UserResult, "PUT", "/group/apply/handle", { body });
  }
  applications(groupList: number[], options: { limit?: number } = {}) {
    return this.#pages(
      GroupApplication,
      "POST",
      "/group/application_list",
      { limit: options.limit },
      {
        group_list: groupList,
      },
    );
  }
  async kickMembers(groupId: number, userList: number[]): Promise<UserResult[]> {
    return this.#users("DELETE", "/group/kick", { group_id: groupId, user_list: userList });
  }
  async leaveGroup(groupId: number): Promise<boolean> {
    return this.#call(z.boolean(), "DELETE", "/group/leave", { query: { group_id: groupId } });
  }
  async blockGroupUsers(groupId: number, userList: number[]): Promise<UserResult[]> {
    return this.#users("POST", "/group/block", { group_id: groupId, user_list: userList });
  }
  async unblockGroupUsers(groupId: number, userList: number[]): Promise<UserResult[]> {
    return this.#users("DELETE", "/group/unblock", { group_id: groupId, user_list: userList });
  }
  async groupBlockedList(groupId: number) {
    return this.#call(z.array(GroupBlocked), "GET", "/group/blocked_list", { query: { group_id: groupId } });
  }
  /** Mutes members for `durationMinutes` (-1 forever). */
  async banMembers(groupId: number, userList: number[], durationMinutes: number): Promise<UserResult[]> {
    return this.#users("POST", "/group/ban", {
      group_id: groupId,
      user_list: userList,
      duration: durationMinutes,
    });
  }
  async unbanMembers(groupId: number, userList: number[]): Promise<UserResult[]> {
    return this.#users("POST", "/group/unban", { group_id: groupId, user_list: userList });
  }
  async bannedMembers(groupId: number): Promise<GroupMember[]> {
    return this.#call(z.array(GroupMember), "GET", "/group/banned_list", { query: { group_id: groupId } });
  }
  async setGroupPushMode(groupId: number, msgPushMode: number): Promise<boolean> {
    return this.#call(z.boolean(), "PUT", "/group/msg/push_mode", {
      body: { group_id: groupId, msg_push_mode: msgPushMode },
    });
  }
  async setGroupMuteMode(groupId: number, msgMuteMode: 0 | 1 | 2): Promise<boolean> {
    return this.#call(z.boolean(), "PUT", "/group/msg/mute_mode", {
      body: { group_id: groupId, msg_mute_mode: msgMuteMode },
    });
  }
  async createAnnouncement(groupId: number, title: string, content: string): Promise<Announcement> {
    return this.#call(Announcement, "POST", "/group/announcement/edit", {
      body: { group_id: groupId, title, content },
    });
  }
  async announcement(groupId: number, announcementId: number): Promise<Announcement> {
    return this.#call(Announcement, "GET", "/group/announcement", {
      query: { group_id: groupId, announcement_id: announcementId },
    });
  }
  async lastAnnouncement(groupId: number): Promise<Announcement> {
    return this.#call(Announcement, "GET", "/group/announcement/last", { query: { group_id: groupId } });
  }
  async announcements(groupId: number): Promise<Announcement[]> {
    return this.#call(z.array(Announcement), "GET", "/group/announcement/list", {
      query: { group_id: groupId },
    });
  }
  async deleteAnnouncement(groupId: number, announcementId: number): Promise<boolean> {
    return this.#call(z.boolean(), "DELETE", "/group/announcement/delete", {
      query: { group_id: groupId, announcement_id: announcementId },
    });
  }
  async uploadGroupFile(body: FileUploadBody): Promise<SharedFile> {
    return this.#call(SharedFile, "POST", "/group/file/upload", {
      body: validate(FileUploadBody, body, "file"),
    });
  }
  async groupFiles(groupId: number): Promise<SharedFile[]> {
    return this.#call(z.array(SharedFile), "GET", "/group/file/list", { query: { group_id: groupId } });
  }
  async groupFile(groupId: number, fileId: number): Promise<SharedFile> {
    return this.#call(SharedFile, "GET", "/group/file", { query: { group_id: groupId, file_id: fileId } });
  }
  async deleteGroupFiles(groupId: number, fileList: number[]) {
    return this.#call(z.array(FileResult), "DELETE", "/group/file/delete", {
      body: { group_id: groupId, file_list: fileList },
    });
  }
  async renameGroupFile(groupId: number, fileId: number, name: string): Promise<boolean> {
    return this.#call(z.boolean(), "PUT", "/group/file/update_name", {
      body: { group_id: groupId, file_id: fileId, name },
    });
  }
  async groupQrCode(groupId: number) {
    return this.#call(QrCode, "GET", "/group/qrcode/sign", { query: { group_id: groupId } });
  }
  async joinByQrCode(qrInfo: string): Promise<boolean> {
    return this.#call(z.boolean(), "POST", "/group/qrcode/invite", { body: { qr_info: qrInfo } });
  }

  async #users(
    method: string,
    path: string,
    body: GroupUsersBody & Record<string, unknown>,
  ): Promise<UserResult[]> {
    validate(GroupUsersBody, body, "user list");
    return this.#call(z.array(UserResult), method, path, { body });
  }

  // ---------------------------------------------------------------- messages

  /**
   * Sends one message to every target (all users or all groups, by `type`). Retried on network
   * failures only when `transaction_id` is set: the server de-duplicates by it.
   */
  sendMessage(body: MessageSendBody, options: { signal?: AbortSignal } = {}): Promise<boolean> {
    const valid = validate(MessageSendBody, body, "message");
    return this.#call(z.boolean(), "POST", "/message/send", {
      body: valid,
      idempotent: valid.transaction_id !== undefined,
      signal: options.signal,
    });
  }
  /** A system notification (`/message/notify`, app token): from the app unless `from_user_id`. */
  sendNotification(body: MessageNotifyBody, options: { signal?: AbortSignal } = {}): Promise<boolean> {
    const valid = validate(MessageNotifyBody, body, "notification");
    return this.#call(z.boolean(), "POST", "/message/notify", {
      body: valid,
      idempotent: valid.transaction_id !== undefined,
      signal: options.signal,
    });
  }
  /** Deletes the conversation from the acting user's view (history and unread); 0 is the app's. */
  async deleteConversation(conversationId: number): Promise<boolean> {
    return this.#call(z.boolean(), "DELETE", "/message/conversation", {
      query: { conversation_id: conversationId },
    });
  }
  async recallMessage(conversationId: number, msgId: number): Promise<boolean> {
    return this.#call(z.boolean(), "PUT", "/message/recall", {
      body: { conversation_id: conversationId, msg_id: msgId },
    });
  }
  async conversationPage(oppositeId: number, options: { msgIdStart?: number; limit?: number } = {}) {
    return this.#call(ConversationPage, "GET", "/message/conversation", {
      query: { opposite_id: oppositeId, msg_id_start: options.msgIdStart ?? 0, limit: options.limit ?? 50 },
    });
  }
  /** Newest first, walking `next_msg_id` back to the start of the conversation. */
  async *conversation(oppositeId: number, options: { limit?: number } = {}): AsyncGenerator<StoredMessage> {
    let start = 0;
    for (;;) {
      const page = await this.conversationPage(oppositeId, { msgIdStart: start, limit: options.limit });
      yield* page.messages;
      if (page.is_last || !page.next_msg_id) return;
      start = page.next_msg_id;
    }
  }
  async unread() {
    return this.#call(z.array(UnreadItem), "GET", "/message/unread");
  }
  async ack(conversationId: number, msgId?: number): Promise<boolean> {
    return this.#call(z.boolean(), "GET", "/message/ack", {
      query: { conversation_id: conversationId, msg_id: msgId },
    });
  }

  // ---------------------------------------------------------------- push

  async pushNotify(body: PushNotifyBody): Promise<boolean> {
    return this.#call(z.boolean(), "POST", "/push/notify", { body: validate(PushNotifyBody, body, "push") });
  }
}
