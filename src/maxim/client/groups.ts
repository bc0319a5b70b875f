/** MaxImClient: groups, members, invitations and applications, announcements, shared files. */
import type { CallOptions } from "../../core/call.js";
import {
  MaxImEndpoints as E,
  type FileUploadBody,
  type GroupCreateBody,
  type GroupHandleBody,
  type GroupInviteBody,
} from "../protocol.js";
import type { MaxImCore } from "./core.js";

const INFO = {
  name: E.groupName,
  description: E.groupDescription,
  avatar: E.groupAvatar,
  ext: E.groupExt,
} as const;
const SETTINGS = {
  allow_member_invitation: E.allowMemberInvitation,
  allow_member_modify: E.allowMemberModify,
  enable_read_ack: E.enableReadAck,
  history_visible: E.historyVisible,
} as const;

export const groupsApi = {
  createGroup(this: MaxImCore, body: GroupCreateBody, options: CallOptions = {}) {
    return this.call(E.createGroup, body, options);
  },
  destroyGroup(this: MaxImCore, groupId: number, options: CallOptions = {}) {
    return this.call(E.destroyGroup, { group_id: groupId }, options);
  },
  groupInfo(this: MaxImCore, groupId: number, options: CallOptions = {}) {
    return this.call(E.groupInfo, { group_id: groupId }, options);
  },
  groupSettings(this: MaxImCore, groupId: number, options: CallOptions = {}) {
    return this.call(E.groupSettings, { group_id: groupId }, options);
  },
  groupsInfo(this: MaxImCore, groupList: number[], options: CallOptions = {}) {
    return this.call(E.groupsInfo, { group_list: groupList }, { ...options, idempotent: true });
  },
  /** name | description | avatar | ext. */
  updateGroupInfo(
    this: MaxImCore,
    groupId: number,
    field: keyof typeof INFO,
    value: string,
    options: CallOptions = {},
  ) {
    return this.call(INFO[field], { group_id: groupId, value }, options);
  },
  updateGroupSetting(
    this: MaxImCore,
    groupId: number,
    setting: keyof typeof SETTINGS,
    value: boolean,
    options: CallOptions = {},
  ) {
    return this.call(SETTINGS[setting], { group_id: groupId, value }, options);
  },
  /** 0 accept all, 1 admin approves, 2 reject all. */
  setApplyApproval(this: MaxImCore, groupId: number, applyApproval: 0 | 1 | 2, options: CallOptions = {}) {
    return this.call(E.applyApproval, { group_id: groupId, apply_approval: applyApproval }, options);
  },
  banAll(this: MaxImCore, groupId: number, durationMinutes: number, options: CallOptions = {}) {
    return this.call(E.banAll, { group_id: groupId, duration: durationMinutes }, options);
  },
  unbanAll(this: MaxImCore, groupId: number, options: CallOptions = {}) {
    return this.call(E.unbanAll, { group_id: groupId }, options);
  },
  transferGroup(this: MaxImCore, groupId: number, newOwner: number, options: CallOptions = {}) {
    return this.call(E.transferGroup, { group_id: groupId, new_owner: newOwner }, options);
  },
  addGroupAdmins(this: MaxImCore, groupId: number, userList: number[], options: CallOptions = {}) {
    return this.call(E.addGroupAdmins, { group_id: groupId, user_list: userList }, options);
  },
  removeGroupAdmins(this: MaxImCore, groupId: number, userList: number[], options: CallOptions = {}) {
    return this.call(E.removeGroupAdmins, { group_id: groupId, user_list: userList }, options);
  },
  groupAdmins(this: MaxImCore, groupId: number, options: CallOptions = {}) {
    return this.call(E.groupAdmins, { group_id: groupId }, options);
  },
  /** Every member, following `cursor` page by page (`limit` per page, default 1000). */
  members(this: MaxImCore, groupId: number, options: CallOptions & { limit?: number } = {}) {
    const { limit, ...call } = options;
    return this.pages(E.members, { group_id: groupId, limit }, call);
  },
  /** One page of members: `cursor` is absent on the last page. */
  async memberPage(
    this: MaxImCore,
    groupId: number,
    options: CallOptions & { limit?: number; cursor?: string } = {},
  ) {
    const { limit, cursor, ...call } = options;
    const page = await this.page(E.members, { group_id: groupId, limit, cursor }, call);
    return { members: page.data, cursor: page.cursor, version: page.version };
  },
  memberDisplayNames(this: MaxImCore, groupId: number, userList: number[], options: CallOptions = {}) {
    return this.call(
      E.memberDisplayNames,
      { group_id: groupId, user_list: userList },
      { ...options, idempotent: true },
    );
  },
  setDisplayName(this: MaxImCore, groupId: number, value: string, options: CallOptions = {}) {
    return this.call(E.displayName, { group_id: groupId, value }, options);
  },
  joinedGroups(this: MaxImCore, options: CallOptions = {}) {
    return this.call(E.joinedGroups, {}, options);
  },
  invite(this: MaxImCore, body: GroupInviteBody, options: CallOptions = {}) {
    return this.call(E.invite, body, options);
  },
  /** The invitee answers an invitation from `user_id` (the inviter). */
  handleInvitation(this: MaxImCore, body: GroupHandleBody, options: CallOptions = {}) {
    return this.call(E.handleInvitation, body, options);
  },
  invitations(this: MaxImCore, options: CallOptions & { limit?: number } = {}) {
    const { limit, ...call } = options;
    return this.pages(E.invitations, { limit }, call);
  },
  applyGroup(this: MaxImCore, groupId: number, reason?: string, options: CallOptions = {}) {
    return this.call(E.applyGroup, { group_id: groupId, reason }, options);
  },
  /** An admin answers the application of `user_id`. */
  handleApplication(this: MaxImCore, body: GroupHandleBody, options: CallOptions = {}) {
    return this.call(E.handleApplication, body, options);
  },
  applications(this: MaxImCore, groupList: number[], options: CallOptions & { limit?: number } = {}) {
    const { limit, ...call } = options;
    return this.pages(E.applications, { group_list: groupList }, { ...call, query: { limit } });
  },
  kickMembers(this: MaxImCore, groupId: number, userList: number[], options: CallOptions = {}) {
    return this.call(E.kickMembers, { group_id: groupId, user_list: userList }, options);
  },
  leaveGroup(this: MaxImCore, groupId: number, options: CallOptions = {}) {
    return this.call(E.leaveGroup, { group_id: groupId }, options);
  },
  blockGroupUsers(this: MaxImCore, groupId: number, userList: number[], options: CallOptions = {}) {
    return this.call(E.blockGroupUsers, { group_id: groupId, user_list: userList }, options);
  },
  unblockGroupUsers(this: MaxImCore, groupId: number, userList: number[], options: CallOptions = {}) {
    return this.call(E.unblockGroupUsers, { group_id: groupId, user_list: userList }, options);
  },
  groupBlockedList(this: MaxImCore, groupId: number, options: CallOptions = {}) {
    return this.call(E.groupBlockedList, { group_id: groupId }, options);
  },
  /** Mutes members for `durationMinutes` (-1 forever). */
  banMembers(
    this: MaxImCore,
    groupId: number,
    userList: number[],
    durationMinutes: number,
    options: CallOptions = {},
  ) {
    return this.call(
      E.banMembers,
      { group_id: groupId, user_list: userList, duration: durationMinutes },
      options,
    );
  },
  unbanMembers(this: MaxImCore, groupId: number, userList: number[], options: CallOptions = {}) {
    return this.call(E.unbanMembers, { group_id: groupId, user_list: userList }, options);
  },
  bannedMembers(this: MaxImCore, groupId: number, options: CallOptions = {}) {
    return this.call(E.bannedMembers, { group_id: groupId }, options);
  },
  setGroupPushMode(this: MaxImCore, groupId: number, msgPushMode: number, options: CallOptions = {}) {
    return this.call(E.groupPushMode, { group_id: groupId, msg_push_mode: msgPushMode }, options);
  },
  setGroupMuteMode(this: MaxImCore, groupId: number, msgMuteMode: 0 | 1 | 2, options: CallOptions = {}) {
    return this.call(E.groupMuteMode, { group_id: groupId, msg_mute_mode: msgMuteMode }, options);
  },
  createAnnouncement(
    this: MaxImCore,
    groupId: number,
    title: string,
    content: string,
    options: CallOptions = {},
  ) {
    return this.call(E.createAnnouncement, { group_id: groupId, title, content }, options);
  },
  announcement(this: MaxImCore, groupId: number, announcementId: number, options: CallOptions = {}) {
    return this.call(E.announcement, { group_id: groupId, announcement_id: announcementId }, options);
  },
  lastAnnouncement(this: MaxImCore, groupId: number, options: CallOptions = {}) {
    return this.call(E.lastAnnouncement, { group_id: groupId }, options);
  },
  announcements(this: MaxImCore, groupId: number, options: CallOptions = {}) {
    return this.call(E.announcements, { group_id: groupId }, options);
  },
  deleteAnnouncement(this: MaxImCore, groupId: number, announcementId: number, options: CallOptions = {}) {
    return this.call(E.deleteAnnouncement, { group_id: groupId, announcement_id: announcementId }, options);
  },
  uploadGroupFile(this: MaxImCore, body: FileUploadBody, options: CallOptions = {}) {
    return this.call(E.uploadGroupFile, body, options);
  },
  groupFiles(this: MaxImCore, groupId: number, options: CallOptions = {}) {
    return this.call(E.groupFiles, { group_id: groupId }, options);
  },
  groupFile(this: MaxImCore, groupId: number, fileId: number, options: CallOptions = {}) {
    return this.call(E.groupFile, { group_id: groupId, file_id: fileId }, options);
  },
  deleteGroupFiles(this: MaxImCore, groupId: number, fileList: number[], options: CallOptions = {}) {
    return this.call(E.deleteGroupFiles, { group_id: groupId, file_list: fileList }, options);
  },
  renameGroupFile(this: MaxImCore, groupId: number, fileId: number, name: string, options: CallOptions = {}) {
    return this.call(E.renameGroupFile, { group_id: groupId, file_id: fileId, name }, options);
  },
  groupQrCode(this: MaxImCore, groupId: number, options: CallOptions = {}) {
    return this.call(E.groupQrCode, { group_id: groupId }, options);
  },
  joinByQrCode(this: MaxImCore, qrInfo: string, options: CallOptions = {}) {
    return this.call(E.joinByQrCode, { qr_info: qrInfo }, options);
  },
};

export type GroupsApi = typeof groupsApi;
