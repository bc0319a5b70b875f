/**
 * VK Video Live DevAPI (seed 003): endpoints, field names, error constants, scopes, realtime
 * events and webhooks as zod schemas. Response schemas are loose (unknown fields kept) so the
 * client survives new server fields; request schemas are what the emulator enforces.
 */
import { z } from "zod";
import { lenient } from "../../core/extra.js";

export const DEFAULT_API_URL = "https://apidev.live.vkvideo.ru";
export const DEFAULT_AUTH_URL = "https://auth.live.vkvideo.ru";
export const DEFAULT_OAUTH_URL = "https://api.live.vkvideo.ru";
export const DEFAULT_PUBSUB_URL = "wss://pubsub-dev.live.vkvideo.ru/connection/websocket";

export const LIMITS = {
  /** `limit` of chat/members, chat/messages and the catalog. */
  listLimit: 200,
  /** `channels` of POST /v1/channels. */
  channels: 100,
  /** Characters of one chat message (all text parts together). */
  messageLength: 500,
  parts: 100,
  bodyBytes: 1024 * 1024,
} as const;

// ---------- errors ----------

/** Every `error` constant of the DevAPI with its HTTP status. */
export const ERROR_STATUS = {
  invalid_param: 400,
  missing_param: 400,
  unauthorized: 401,
  forbidden: 403,
  invalid_scope: 403,
  not_found: 404,
  unknown_api_method: 404,
  unprocessable_entity: 422,
  ratelimit_exceeded: 429,
  internal_server_error: 500,
  service_unavailable: 503,
  channel_not_found: 404,
  channel_banned: 403,
  message_too_long: 400,
  same_message: 400,
  send_too_fast: 400,
  // OAuth token endpoint (RFC 6749 names, answered by /oauth/server/*).
  invalid_grant: 400,
  unsupported_grant_type: 400,
  access_denied: 403,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;

export const ERROR_DESCRIPTION: Record<ErrorCode, string> = {
  invalid_param: "Invalid parameter",
  missing_param: "Missing required parameter",
  unauthorized: "Not authorized",
  forbidden: "Access to resource forbidden",
  invalid_scope: "Scope is not granted to the application",
  not_found: "Not found",
  unknown_api_method: "Unknown API method",
  unprocessable_entity: "Unprocessable entity",
  ratelimit_exceeded: "Rate limit exceeded",
  internal_server_error: "Internal server error",
  service_unavailable: "Service unavailable",
  channel_not_found: "Channel not found",
  channel_banned: "Channel banned",
  message_too_long: "Text too long",
  same_message: "Message is the same",
  send_too_fast: "Sending messages too fast",
  invalid_grant: "Invalid or expired grant",
  unsupported_grant_type: "Unsupported grant_type",
  access_denied: "The user denied access",
};

export const ErrorBody = lenient({
  error: z.string(),
  error_description: z.string().optional(),
  data: z.unknown().optional(),
});
export type ErrorBody = z.infer<typeof ErrorBody>;

// ---------- scopes ----------

export const SCOPES = [
  "channel:credentials",
  "channel:stream:settings",
  "channel:roles",
  "channel:points",
  "channel:points:rewards",
  "channel:points:rewards:demands",
  "chat:settings",
  "chat:message:send",
] as const;
export type Scope = (typeof SCOPES)[number];
export const ScopeSchema = z.enum(SCOPES);

// ---------- OAuth ----------

/** CodeFlow / refresh answer. */
export const TokenResponse = lenient({
  access_token: z.string(),
  refresh_token: z.string().optional(),
  expires_in: z.number().optional(),
  /** ClientCredentials names the lifetime `expire_time` (seconds from issue). */
  expire_time: z.number().optional(),
  token_type: z.string(),
  state: z.string().optional(),
  scope: z.string().optional(),
});
export type TokenResponse = z.infer<typeof TokenResponse>;

/** ImplicitFlow: the `#fragment` of the redirect. */
export interface ImplicitToken {
  access_token: string;
  state?: string;
  /** Unix time (seconds) when the token expires. */
  expire_time: number;
  token_type: "Bearer";
}

export const GrantType = z.enum(["authorization_code", "refresh_token", "client_credentials"]);
