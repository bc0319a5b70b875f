/**
 * MaxIM server API wire schema (seed 001 + maxim-top/im.gitbook server-api reference): the single
 * source of truth shared by the emulator and the client. Requests are validated strictly on known
 * fields (unknown fields are ignored, as the real service does); responses are parsed leniently.
 */
import { z } from "zod";
import { lenient } from "../../core/extra.js";

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
  /**
   * `/group/announcement/list` and `/group/file/list` take no paging: they answer the newest this
   * many (announcements newest first, files oldest first).
   */
  groupItemList: 500,
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
export const QueryInt = z
  .string()
  .regex(/^-?[0-9]{1,9}$/)
  .transform(Number);
export const Str = (max: number) => z.string().max(max);
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

export const Envelope = lenient({
  code: z.number(),
  message: z.string().nullish(),
  data: z.unknown().optional(),
  cursor: z.string().nullish(),
  version: z.number().nullish(),
  total: z.number().nullish(),
});
export type Envelope = z.infer<typeof Envelope>;
