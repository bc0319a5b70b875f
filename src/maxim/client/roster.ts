/** MaxImClient: friends (rosters), applications, blacklist and user search. */
import type { CallOptions } from "../../core/call.js";
import {
  MaxImEndpoints as E,
  type RosterApplyBatchBody,
  type RosterApplyBody,
  type RosterExtBody,
} from "../protocol.js";
import type { MaxImCore } from "./core.js";

export const rosterApi = {
  /** Seed: makes the listed users friends of the acting user at once (app token). */
  addRoster(this: MaxImCore, list: number[], options: CallOptions = {}) {
    return this.call(E.addRoster, { list }, options);
  },
  /** Seed: the acting user's friends with names. */
  rosters(this: MaxImCore, options: CallOptions = {}) {
    return this.call(E.rosters, {}, options);
  },
  friendIds(this: MaxImCore, options: CallOptions & { limit?: number } = {}) {
    const { limit, ...call } = options;
    return this.pages(E.friendIds, { limit }, call);
  },
  friendDetails(this: MaxImCore, list: number[], options: CallOptions = {}) {
    return this.call(E.friendDetails, { list }, options);
  },
  applyFriend(this: MaxImCore, body: RosterApplyBody, options: CallOptions = {}) {
    return this.call(E.applyFriend, body, options);
  },
  friendApplications(this: MaxImCore, options: CallOptions & { limit?: number } = {}) {
    const { limit, ...call } = options;
    return this.pages(E.friendApplications, { limit }, call);
  },
  /** Applies to several users at once; each is refused or accepted on its own. */
  applyFriends(this: MaxImCore, list: RosterApplyBatchBody, options: CallOptions = {}) {
    return this.call(E.applyFriends, list, options);
  },
  /** Whether `userId` may send messages to `rosterId` (false once `rosterId` blacklisted it). */
  mayMessage(this: MaxImCore, userId: number, rosterId: number, options: CallOptions = {}) {
    return this.call(E.mayMessage, { user_id: userId, roster_id: rosterId }, options);
  },
  acceptFriend(this: MaxImCore, userId: number, options: CallOptions = {}) {
    return this.call(E.acceptFriend, { user_id: userId }, options);
  },
  declineFriend(this: MaxImCore, userId: number, reason?: string, options: CallOptions = {}) {
    return this.call(E.declineFriend, { user_id: userId, reason }, options);
  },
  deleteFriend(this: MaxImCore, userId: number, options: CallOptions = {}) {
    return this.call(E.deleteFriend, { user_id: userId }, options);
  },
  updateFriend(this: MaxImCore, body: RosterExtBody, options: CallOptions = {}) {
    return this.call(E.updateFriend, body, options);
  },
  blockUser(this: MaxImCore, userId: number, options: CallOptions = {}) {
    return this.call(E.blockUser, { user_id: userId }, options);
  },
  unblockUser(this: MaxImCore, userId: number, options: CallOptions = {}) {
    return this.call(E.unblockUser, { user_id: userId }, options);
  },
  blockedUsers(this: MaxImCore, options: CallOptions = {}) {
    return this.call(E.blockedUsers, {}, options);
  },
  findUserById(this: MaxImCore, userId: number, options: CallOptions = {}) {
    return this.call(E.findUserById, { user_id: userId }, options);
  },
  findUserByName(this: MaxImCore, username: string, options: CallOptions = {}) {
    return this.call(E.findUserByName, { username }, options);
  },
};

export type RosterApi = typeof rosterApi;
