/** MaxImClient: users, tokens, profile, settings, devices and push tags. */
import type { CallOptions } from "../../core/call.js";
import {
  MaxImEndpoints as E,
  type ProfileUpdateBody,
  type RegisterBody,
  type SettingsUpdateBody,
  type TokenIdBody,
  type TokenLoginBody,
  type TokenUserBody,
} from "../protocol.js";
import type { MaxImCore } from "./core.js";

export const usersApi = {
  registerUser(this: MaxImCore, body: RegisterBody, options: CallOptions = {}) {
    return this.call(E.registerUser, body, options);
  },
  registerUsers(this: MaxImCore, list: { username: string; password: string }[], options: CallOptions = {}) {
    return this.call(E.registerUsers, { list }, options);
  },
  /** A user token by username and password (`/token/user`). */
  userToken(this: MaxImCore, body: TokenUserBody, options: CallOptions = {}) {
    return this.call(E.tokenUser, body, options);
  },
  /** A user token by user id and password (`/token/id`); `device_guid` also returns a push token. */
  userTokenById(this: MaxImCore, body: TokenIdBody, options: CallOptions = {}) {
    return this.call(E.tokenId, body, options);
  },
  /** A user token by username, mobile number or email (`/token/login`). */
  login(this: MaxImCore, body: TokenLoginBody, options: CallOptions = {}) {
    return this.call(E.tokenLogin, body, options);
  },
  /** Every user of the app (app token), following `cursor` page by page. */
  users(this: MaxImCore, options: CallOptions & { pageSize?: number } = {}) {
    const { pageSize, ...call } = options;
    return this.pages(E.userList, { page_size: pageSize }, call);
  },
  /** One page of `/user/list`: by `pageNum` (from 1) or by `cursor` from the previous page. */
  async userPage(
    this: MaxImCore,
    options: CallOptions & { pageNum?: number; pageSize?: number; cursor?: string } = {},
  ) {
    const { pageNum, pageSize, cursor, ...call } = options;
    const page = await this.page(E.userList, { page_num: pageNum, page_size: pageSize, cursor }, call);
    return { users: page.data, cursor: page.cursor };
  },
  setAvatar(this: MaxImCore, avatar: string, options: CallOptions = {}) {
    return this.call(E.avatar, { avatar }, options);
  },
  setMobile(this: MaxImCore, mobile: string, options: CallOptions = {}) {
    return this.call(E.mobile, { mobile }, options);
  },
  setNickname(this: MaxImCore, nickName: string, options: CallOptions = {}) {
    return this.call(E.nickname, { nick_name: nickName }, options);
  },
  setUsername(this: MaxImCore, username: string, options: CallOptions = {}) {
    return this.call(E.username, { username }, options);
  },
  /** Not retried: a repeat after success would fail on the old password. */
  changePassword(this: MaxImCore, oldPassword: string, newPassword: string, options: CallOptions = {}) {
    return this.call(E.changePassword, { old_password: oldPassword, new_password: newPassword }, options);
  },
  /** App token + `asUser(id)`: sets that user's password without the old one. */
  setPasswordAsAdmin(this: MaxImCore, password: string, options: CallOptions = {}) {
    return this.call(E.changePasswordAdmin, { password }, { ...options, idempotent: true });
  },
  /** The user's devices (one per `device_guid` it logged in with). */
  devices(this: MaxImCore, options: CallOptions = {}) {
    return this.pages(E.devices, {}, options);
  },
  removeDevice(this: MaxImCore, deviceSn: number, options: CallOptions = {}) {
    return this.call(E.removeDevice, { device_sn: deviceSn }, { ...options, idempotent: false });
  },
  profile(this: MaxImCore, options: CallOptions = {}) {
    return this.call(E.profile, {}, options);
  },
  updateProfile(this: MaxImCore, body: ProfileUpdateBody, options: CallOptions = {}) {
    return this.call(E.updateProfile, body, options);
  },
  settings(this: MaxImCore, options: CallOptions = {}) {
    return this.call(E.settings, {}, options);
  },
  updateSettings(this: MaxImCore, body: SettingsUpdateBody, options: CallOptions = {}) {
    return this.call(E.updateSettings, body, options);
  },
  onlineStatus(this: MaxImCore, options: CallOptions = {}) {
    return this.call(E.onlineStatus, {}, options);
  },
  disableUsers(this: MaxImCore, list: number[], options: CallOptions = {}) {
    return this.call(E.disableUsers, { list }, options);
  },
  enableUsers(this: MaxImCore, list: number[], options: CallOptions = {}) {
    return this.call(E.enableUsers, { list }, options);
  },
  /** Logs the user out of every device (or of `deviceSn`); its tokens stop working. */
  kick(this: MaxImCore, deviceSn?: number, options: CallOptions = {}) {
    return this.call(E.kick, { device_sn: deviceSn }, options);
  },
};

export type UsersApi = typeof usersApi;
