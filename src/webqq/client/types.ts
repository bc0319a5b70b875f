/** The WebQQ client's public types: options, session, events, login inputs, send options. */
import type { SerializedCookieJar } from "tough-cookie";
import type { CallOptions, ClientEventMap, ClientOptions } from "../../core/call.js";
import type { Font, HostName, PollItem, PollType, Status } from "../protocol.js";

/** What a logged-in session is; kept in the client's CredentialStore under its `account`. */
export interface WebQQSession {
  qq: number;
  uin: number;
  clientid: string;
  psessionid: string;
  vfwebqq: string;
  ptwebqq: string;
  status: string;
  cookies: SerializedCookieJar;
  /**
   * The highest msg_id this session's clients may have used (reserved in blocks before use), so
   * a new client on the saved session (a one-shot `switchboard webqq send`) continues the counter
   * instead of picking a start that may repeat an earlier send's msg_id.
   */
  msgId?: number;
}

export interface WebQQClientOptions extends ClientOptions<WebQQSession> {
  /** One origin for every host (the sandbox); otherwise the production hosts. */
  url?: string;
  /** Per-host origins (override `url` for those hosts). */
  hosts?: Partial<Record<HostName, string>>;
  /** Per-request timeout (default 30 s). */
  timeoutMs?: number;
  /** HTTP timeout of one poll2 (default 90 s; the server holds it up to its own time-out). */
  pollTimeoutMs?: number;
  /**
   * Fixed clientid (default: the stored session's, else random 8 digits); kept across re-logins
   * so resends stay de-duplicated.
   */
  clientid?: string;
  /** Attempts of one send after 1202 / network failures, same msg_id each time (default 4). */
  sendAttempts?: number;
  /**
   * What `connect()` logs in with when no session is stored (or the stored one is dead): a
   * password login (accounts that need a captcha must use `passwordLogin` with `onCaptcha`).
   */
  login?: { qq: number; password: string; status?: Status };
  fetch?: typeof fetch;
  /** Backoff of the poll loop and of sends (tests shorten it). */
  backoffBaseMs?: number;
}

type ValueOf<K extends PollType> = Extract<PollItem, { poll_type: K }>["value"];

/** Poll items by `poll_type`, plus the client's own events. */
export type WebQQEvents = ClientEventMap & { [K in PollType]: ValueOf<K> } & {
  /** Logged in elsewhere (kick_message or retcode 121); the poll loop has stopped. */
  kicked: string;
  /** Session changed (login, relink, new ptwebqq); it is already saved in `credentials`. */
  session: WebQQSession;
};

export interface PasswordLoginInput {
  qq: number;
  password: string;
  /** Called with the captcha picture when the account needs one; returns the code read from it. */
  onCaptcha?: (png: Uint8Array) => Promise<string>;
  status?: Status;
}

export interface QrLoginInput {
  /** Called with the QR picture (PNG). */
  onQrCode: (png: Uint8Array) => void | Promise<void>;
  onState?: (state: "waiting" | "scanned") => void;
  intervalMs?: number;
  status?: Status;
}

export interface WebQQSendOptions extends CallOptions {
  font?: Font;
  /**
   * The msg_id to send with (default: the client's next). The server drops a repeat of sender +
   * clientid + msg_id + content within its window, so a resend of the same content with the
   * same msg_id (even after a restart) posts once.
   */
  msgId?: number;
}
