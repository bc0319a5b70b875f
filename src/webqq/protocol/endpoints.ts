/**
 * The WebQQ endpoint table: every call once, with its production host, HTTP method, path, the
 * credentials it needs, its request schema (checked by the client before sending; the `r=`
 * bodies are the same schemas the emulator reads) and its response schema (lenient). The
 * client builds its URLs from this table and the emulator registers its routes from it.
 */
import { z } from "zod";
import { defineEndpoints, type HttpEndpoint } from "../../core/endpoint.js";
import {
  C2cMsgSigResult,
  DiscuInfoResult,
  DiscusListResult,
  FriendsResult,
  FriendUinResult,
  GfaceSigResult,
  GroupInfoResult,
  GroupListResult,
  HashR,
  Id,
  Login2R,
  Login2Result,
  LongNickResult,
  OnlineBuddiesResult,
  PollR,
  RecentListResult,
  RecentR,
  SendBuddyR,
  SendDiscuR,
  SendQunR,
  SendSessR,
  STATUSES,
  UserInfo,
} from "./schemas.js";
import type { HostName } from "./wire.js";

/**
 * What a call needs: nothing (login steps), the `ptwebqq` cookie (login2), `vfwebqq` (+ the
 * ptwebqq cookie) on s.web2, `psessionid` + clientid on d.web2, or both.
 */
export type WebQQAuth = "none" | "ptwebqq" | "vfwebqq" | "psessionid" | "vfwebqq+psessionid";

/** How an answer is read: a `{retcode, result}` envelope, a JS callback / HTML page, or bytes. */
export type WebQQAnswer = "envelope" | "text" | "bytes";

export interface WebQQEndpoint extends HttpEndpoint<z.ZodType, z.ZodType, WebQQAuth> {
  host: HostName;
  answer: WebQQAnswer;
}

/** The most an upload may carry (the emulator's body limit). */
export const MAX_UPLOAD_BYTES = 2 * 1024 * 1024;

const Qq = z.number().int().min(10_000).max(0xffffffff);
const Vf = z.string().min(1);
const Nothing = z.object({});
const Text = z.string();
const Bytes = z.custom<Uint8Array>((v) => v instanceof Uint8Array, "must be bytes");
const Ok = z.unknown();
const Upload = {
  vfwebqq: Vf,
  fileName: z.string().min(1).max(255),
  bytes: Bytes.refine((b) => b.length > 0, "must not be empty").refine(
    (b) => b.length <= MAX_UPLOAD_BYTES,
    `must be at most ${MAX_UPLOAD_BYTES} bytes`,
  ),
};

const e = <const T extends WebQQEndpoint>(x: T): T => x;

export const WEBQQ_ENDPOINTS = defineEndpoints({
  check: e({
    method: "GET",
    host: "check",
    path: "/check",
    auth: "none",
    answer: "text",
    request: z.object({ uin: Qq }),
    response: Text,
  }),
  captchaImage: e({
    method: "GET",
    host: "captcha",
    path: "/getimage",
    auth: "none",
    answer: "bytes",
    request: z.object({ uin: Qq }),
    response: Bytes,
  }),
  login: e({
    method: "GET",
    host: "login",
    path: "/login",
    auth: "none",
    answer: "text",
    request: z.object({ u: Qq, p: z.string().min(1), verifycode: z.string().min(1).max(16) }),
    response: Text,
  }),
  checkSig: e({
    method: "GET",
    host: "login",
    path: "/check_sig",
    auth: "none",
    answer: "text",
    request: Nothing,
    response: Text,
  }),
  qrShow: e({
    method: "GET",
    host: "qr",
    path: "/ptqrshow",
    auth: "none",
    answer: "bytes",
    request: Nothing,
    response: Bytes,
  }),
  qrLogin: e({
    method: "GET",
    host: "qr",
    path: "/ptqrlogin",
    auth: "none",
    answer: "text",
    request: z.object({ ptqrtoken: z.number().int().nonnegative() }),
    response: Text,
  }),
  login2: e({
    method: "POST",
    host: "d",
    path: "/channel/login2",
    auth: "ptwebqq",
    answer: "envelope",
    request: Login2R,
    response: Login2Result,
  }),
  poll2: e({
    method: "POST",
    host: "d",
    path: "/channel/poll2",
    auth: "psessionid",
    answer: "envelope",
    request: PollR,
    response: z.unknown(),
  }),
  sendBuddy: e({
    method: "POST",
    host: "d",
    path: "/channel/send_buddy_msg2",
    auth: "psessionid",
    answer: "envelope",
    request: SendBuddyR,
    response: Ok,
  }),
  sendQun: e({
    method: "POST",
    host: "d",
    path: "/channel/send_qun_msg2",
    auth: "psessionid",
    answer: "envelope",
    request: SendQunR,
    response: Ok,
  }),
  sendDiscu: e({
    method: "POST",
    host: "d",
    path: "/channel/send_discu_msg2",
    auth: "psessionid",
    answer: "envelope",
    request: SendDiscuR,
    response: Ok,
  }),
  sendSess: e({
    method: "POST",
    host: "d",
    path: "/channel/send_sess_msg2",
    auth: "psessionid",
    answer: "envelope",
    request: SendSessR,
    response: Ok,
  }),
  c2cMsgSig: e({
    method: "GET",
    host: "d",
    path: "/channel/get_c2cmsg_sig2",
    auth: "psessionid",
    answer: "envelope",
    request: z.object({ id: Id, to_uin: Id, service_type: z.number().int() }),
    response: C2cMsgSigResult,
  }),
  changeStatus: e({
    method: "GET",
    host: "d",
    path: "/channel/change_status2",
    auth: "psessionid",
    answer: "envelope",
    request: z.object({ newstatus: z.enum(STATUSES) }),
    response: Ok,
  }),
  discuInfo: e({
    method: "GET",
    host: "d",
    path: "/channel/get_discu_info",
    auth: "vfwebqq+psessionid",
    answer: "envelope",
    request: z.object({ did: Id, vfwebqq: Vf }),
    response: DiscuInfoResult,
  }),
  onlineBuddies: e({
    method: "GET",
    host: "d",
    path: "/channel/get_online_buddies2",
    auth: "vfwebqq+psessionid",
    answer: "envelope",
    request: z.object({ vfwebqq: Vf }),
    response: OnlineBuddiesResult,
  }),
  recentList: e({
    method: "POST",
    host: "d",
    path: "/channel/get_recent_list2",
    auth: "vfwebqq+psessionid",
    answer: "envelope",
    request: RecentR,
    response: RecentListResult,
  }),
  gfaceSig: e({
    method: "GET",
    host: "d",
    path: "/channel/get_gface_sig2",
    auth: "psessionid",
    answer: "envelope",
    request: Nothing,
    response: GfaceSigResult,
  }),
  offpic: e({
    method: "GET",
    host: "d",
    path: "/channel/get_offpic2",
    auth: "psessionid",
    answer: "bytes",
    request: z.object({ file_path: z.string().min(1).max(512), f_uin: Id }),
    response: Bytes,
  }),
  logout: e({
    method: "GET",
    host: "d",
    path: "/channel/logout2",
    auth: "psessionid",
    answer: "envelope",
    request: Nothing,
    response: Ok,
  }),
  friendsOld: e({
    method: "POST",
    host: "s",
    path: "/api/get_user_friend2",
    auth: "vfwebqq",
    answer: "envelope",
    request: HashR,
    response: FriendsResult,
  }),
  friends: e({
    method: "POST",
    host: "s",
    path: "/api/get_user_friends2",
    auth: "vfwebqq",
    answer: "envelope",
    request: HashR,
    response: FriendsResult,
  }),
  groups: e({
    method: "POST",
    host: "s",
    path: "/api/get_group_name_list_mask2",
    auth: "vfwebqq",
    answer: "envelope",
    request: HashR,
    response: GroupListResult,
  }),
  groupInfo: e({
    method: "GET",
    host: "s",
    path: "/api/get_group_info_ext2",
    auth: "vfwebqq",
    answer: "envelope",
    request: z.object({ gcode: Id, vfwebqq: Vf }),
    response: GroupInfoResult,
  }),
  discusList: e({
    method: "GET",
    host: "s",
    path: "/api/get_discus_list",
    auth: "vfwebqq+psessionid",
    answer: "envelope",
    request: z.object({ vfwebqq: Vf }),
    response: DiscusListResult,
  }),
  friendUin: e({
    method: "GET",
    host: "s",
    path: "/api/get_friend_uin2",
    auth: "vfwebqq",
    answer: "envelope",
    request: z.object({ tuin: Id, type: z.union([z.literal(1), z.literal(4)]), vfwebqq: Vf }),
    response: FriendUinResult,
  }),
  friendInfo: e({
    method: "GET",
    host: "s",
    path: "/api/get_friend_info2",
    auth: "vfwebqq+psessionid",
    answer: "envelope",
    request: z.object({ tuin: Id, vfwebqq: Vf }),
    response: UserInfo,
  }),
  longNick: e({
    method: "GET",
    host: "s",
    path: "/api/get_single_long_nick2",
    auth: "vfwebqq",
    answer: "envelope",
    request: z.object({ tuin: Id, vfwebqq: Vf }),
    response: LongNickResult,
  }),
  selfInfo: e({
    method: "GET",
    host: "s",
    path: "/api/get_self_info2",
    auth: "vfwebqq",
    answer: "envelope",
    request: z.object({ vfwebqq: Vf }),
    response: UserInfo,
  }),
  msgTip: e({
    method: "GET",
    host: "tip",
    path: "/web2/get_msg_tip",
    auth: "none",
    answer: "envelope",
    request: Nothing,
    response: Ok,
  }),
  cfaceUpload: e({
    method: "POST",
    host: "up",
    path: "/cgi-bin/cface_upload",
    auth: "vfwebqq",
    answer: "text",
    request: z.object(Upload),
    response: Text,
  }),
  groupPic: e({
    method: "GET",
    host: "web2",
    path: "/cgi-bin/get_group_pic",
    auth: "vfwebqq",
    answer: "bytes",
    request: z.object({ gid: Id, uin: Id, pic: z.string().min(1).max(256), vfwebqq: Vf }),
    response: Bytes,
  }),
  offpicUpload: e({
    method: "POST",
    host: "ftn",
    path: "/ftn_access/upload_offline_pic",
    auth: "vfwebqq",
    answer: "text",
    request: z.object({ ...Upload, peeruin: Id }),
    response: Text,
  }),
});

export type WebQQEndpoints = typeof WEBQQ_ENDPOINTS;
export type EndpointName = keyof WebQQEndpoints;
/** The table by its older name (host + path of each call). */
export const ENDPOINTS: WebQQEndpoints = WEBQQ_ENDPOINTS;
