/**
 * WebQQClient: the facade over the client's areas (login, contacts, pictures, send, poll).
 * Lifecycle: `passwordLogin` / `qrLogin` log in (explicit steps; the session is saved in the
 * CredentialStore), `connect()` restores a stored session (or logs in with `login`) and starts
 * the poll loop, events arrive through `on` / `events()`, `close()` stops everything.
 */
import type { CallOptions, PlatformClient } from "../../core/call.js";
import { type EmittedEvent, Emitter, type EventsOptions, type Listener } from "../../core/emitter.js";
import { AuthError } from "../../core/errors.js";
import type { ConnectionState } from "../../core/model.js";
import type { ContentItem, EndpointName, Envelope, GfaceSigResult, Status } from "../protocol.js";
import * as contacts from "./contacts.js";
import * as login from "./login.js";
import * as pictures from "./pictures.js";
import { PollLoop, poll } from "./poll.js";
import * as send from "./send.js";
import { Ctx } from "./transport.js";
import type {
  PasswordLoginInput,
  QrLoginInput,
  WebQQClientOptions,
  WebQQEvents,
  WebQQSendOptions,
  WebQQSession,
} from "./types.js";

export { retcodeError, scrubUrl } from "./transport.js";
export type {
  PasswordLoginInput,
  QrLoginInput,
  WebQQClientOptions,
  WebQQEvents,
  WebQQSendOptions,
  WebQQSession,
} from "./types.js";

/** Retcodes after which a stored session may still be revived by login2 (relink). */
const RELINKABLE = new Set([103, 108, 120, 100012]);

/**
 * WebQQ client: password (with captcha callback) and QR login, a tough-cookie jar, the session
 * in a CredentialStore, one typed method per endpoint (arguments checked before sending), and a
 * poll loop that handles every retcode, suppresses duplicate msg_ids and re-links / re-logs in
 * by itself.
 */
export class WebQQClient implements PlatformClient<WebQQEvents> {
  readonly platform = "webqq" as const;
  readonly account: string;
  readonly #ctx: Ctx;
  readonly #emitter: Emitter<WebQQEvents>;
  readonly #loop: PollLoop;
  #state: ConnectionState = "disconnected";

  constructor(options: WebQQClientOptions = {}) {
    this.account = options.account ?? "default";
    this.#emitter = new Emitter<WebQQEvents>({
      platform: "webqq",
      ...(options.logger ? { logger: options.logger } : {}),
    });
    this.#ctx = new Ctx(options, this.#emitter, this.account);
    this.#loop = new PollLoop(this.#ctx, (state, reason) => this.#setState(state, reason));
  }

  // ---- lifecycle ------------------------------------------------------------------------------

  get state(): ConnectionState {
    return this.#state;
  }

  get session(): WebQQSession | undefined {
    return this.#ctx.session;
  }

  get clientid(): string {
    return this.#ctx.clientid;
  }

  #setState(state: ConnectionState, reason?: string): void {
    if (this.#state === state) return;
    this.#state = state;
    this.#emitter.emit("state", reason === undefined ? { state } : { state, reason });
  }

  /**
   * Starts the poll loop on the session we hold, else on the one stored in `credentials`
   * (checked with one cheap call, relinked if it went stale), else after a password login
   * with `options.login`. Resolves once polling; idempotent.
   */
  async connect(options: CallOptions = {}): Promise<WebQQSession> {
    const ctx = this.#ctx;
    if (this.#loop.running && ctx.session) return ctx.session;
    this.#emitter.reopen();
    this.#setState("connecting");
    try {
      if (!ctx.session) {
        const stored = await ctx.credentials.load(this.account);
        if (stored) {
          await login.restore(ctx, stored);
          await this.#revive(options);
        }
      }
      if (!ctx.session) {
        const creds = ctx.o.login;
        if (!creds)
          throw new AuthError(
            `no usable stored WebQQ session for account "${this.account}" (none stored, or the server refused it and it was removed): log in first (passwordLogin / qrLogin) or pass login`,
            { platform: "webqq", code: "no_session" },
          );
        await login.passwordLogin(ctx, creds, options);
      }
      this.#loop.start();
      this.#setState("connected");
      return ctx.session as WebQQSession;
    } catch (err) {
      this.#setState("disconnected", err instanceof Error ? err.message : String(err));
      throw err;
    }
  }

  /**
   * Adopts the session stored in `credentials` (cookies and clientid) without starting the
   * poll loop or calling the server; undefined when none is stored. For one-off calls.
   */
  async restore(): Promise<WebQQSession | undefined> {
    const ctx = this.#ctx;
    if (ctx.session) return ctx.session;
    const stored = await ctx.credentials.load(this.account);
    if (stored) await login.restore(ctx, stored);
    return ctx.session;
  }

  /** A restored session checked with one cheap call; relinked when stale, dropped when dead. */
  async #revive(options: CallOptions): Promise<void> {
    const ctx = this.#ctx;
    try {
      await contacts.onlineBuddies(ctx, options);
      return;
    } catch (err) {
      if (!(err instanceof AuthError)) throw err;
      if (!RELINKABLE.has(Number(err.code))) {
        await login.forgetStoredSession(ctx, err);
        ctx.session = undefined;
        return;
      }
    }
    try {
      await login.relink(ctx, options);
    } catch (err) {
      // A refused relink removed the stored session: connect() goes on as if none was stored.
      if (!(err instanceof AuthError)) throw err;
      ctx.session = undefined;
    }
  }

  /** Stops the poll loop and ends `events()` iterators; the session stays stored. Idempotent. */
  async close(): Promise<void> {
    if (this.#state === "closed") return;
    await this.#loop.stop();
    this.#setState("closed");
    this.#emitter.end();
  }

  // ---- events ---------------------------------------------------------------------------------

  on<K extends keyof WebQQEvents>(type: K, listener: Listener<WebQQEvents[K]>): () => void {
    return this.#emitter.on(type, listener);
  }

  off<K extends keyof WebQQEvents>(type: K, listener: Listener<WebQQEvents[K]>): void {
    this.#emitter.off(type, listener);
  }

  once<K extends keyof WebQQEvents>(type: K, listener: Listener<WebQQEvents[K]>): () => void {
    return this.#emitter.once(type, listener);
  }

  events<K extends keyof WebQQEvents = keyof WebQQEvents>(
    options?: EventsOptions<K>,
  ): AsyncIterableIterator<EmittedEvent<WebQQEvents, K>> {
    return this.#emitter.events(options);
  }

  // ---- login ----------------------------------------------------------------------------------

  /** The production (or `url`/`hosts`) URL of an endpoint. */
  url(name: EndpointName): string {
    return this.#ctx.url(name);
  }

  check(qq: number, options: CallOptions = {}) {
    return login.check(this.#ctx, qq, options);
  }

  captchaImage(qq: number, options: CallOptions = {}): Promise<Uint8Array> {
    return login.captchaImage(this.#ctx, qq, options);
  }

  /** Password login (captcha through `onCaptcha`); the session is saved in `credentials`. */
  passwordLogin(input: PasswordLoginInput, options: CallOptions = {}): Promise<WebQQSession> {
    return login.passwordLogin(this.#ctx, input, options);
  }

  /** QR-code login; the session is saved in `credentials`. */
  qrLogin(input: QrLoginInput, options: CallOptions = {}): Promise<WebQQSession> {
    return login.qrLogin(this.#ctx, input, options);
  }

  /** login2 again with the ptwebqq we hold (after 103 / 108 / 120 / 100012). */
  relink(options: CallOptions = {}): Promise<WebQQSession> {
    return login.relink(this.#ctx, options);
  }

  /** logout2: ends the session on the server and forgets the stored one. */
  async logout(options: CallOptions = {}): Promise<void> {
    await this.#loop.stop();
    if (await contacts.logout(this.#ctx, options)) await this.#ctx.credentials.delete(this.account);
    if (this.#state !== "closed") this.#setState("disconnected", "logged out");
  }

  // ---- contacts and info ------------------------------------------------------------------------

  friends(options: CallOptions = {}) {
    return contacts.friends(this.#ctx, options);
  }

  groups(options: CallOptions = {}) {
    return contacts.groups(this.#ctx, options);
  }

  groupInfo(code: number, options: CallOptions = {}) {
    return contacts.groupInfo(this.#ctx, code, options);
  }

  discussions(options: CallOptions = {}) {
    return contacts.discussions(this.#ctx, options);
  }

  discussionInfo(did: number, options: CallOptions = {}) {
    return contacts.discussionInfo(this.#ctx, did, options);
  }

  /** uin → QQ number (type 1) or group number (type 4, tuin = group code). */
  friendUin(tuin: number, type: 1 | 4 = 1, options: CallOptions = {}) {
    return contacts.friendUin(this.#ctx, tuin, type, options);
  }

  friendInfo(tuin: number, options: CallOptions = {}) {
    return contacts.friendInfo(this.#ctx, tuin, options);
  }

  longNick(tuin: number, options: CallOptions = {}) {
    return contacts.longNick(this.#ctx, tuin, options);
  }

  selfInfo(options: CallOptions = {}) {
    return contacts.selfInfo(this.#ctx, options);
  }

  onlineBuddies(options: CallOptions = {}) {
    return contacts.onlineBuddies(this.#ctx, options);
  }

  recentList(options: CallOptions = {}) {
    return contacts.recentList(this.#ctx, options);
  }

  changeStatus(status: Status, options: CallOptions = {}): Promise<void> {
    return contacts.changeStatus(this.#ctx, status, options);
  }

  /** get_msg_tip keep-alive. */
  heartbeat(options: CallOptions = {}): Promise<void> {
    return contacts.heartbeat(this.#ctx, options);
  }

  // ---- pictures ---------------------------------------------------------------------------------

  gfaceSig(options: CallOptions = {}): Promise<GfaceSigResult> {
    return pictures.gfaceSig(this.#ctx, options);
  }

  /** Uploads a group/discussion picture; returns the name to put in a `cface` item. */
  uploadGroupPicture(bytes: Uint8Array, fileName: string, options: CallOptions = {}) {
    return pictures.uploadGroupPicture(this.#ctx, bytes, fileName, options);
  }

  /** Uploads a buddy (offline) picture; returns what an `offpic` item needs. */
  uploadOffpic(bytes: Uint8Array, fileName: string, peerUin: number, options: CallOptions = {}) {
    return pictures.uploadOffpic(this.#ctx, bytes, fileName, peerUin, options);
  }

  offpic(filePath: string, fromUin: number, options: CallOptions = {}): Promise<Uint8Array> {
    return pictures.offpic(this.#ctx, filePath, fromUin, options);
  }

  groupPicture(name: string, gid: number, fromUin: number, options: CallOptions = {}): Promise<Uint8Array> {
    return pictures.groupPicture(this.#ctx, name, gid, fromUin, options);
  }

  // ---- sending ----------------------------------------------------------------------------------

  sendBuddy(toUin: number, items: readonly ContentItem[], options: WebQQSendOptions = {}) {
    return send.sendBuddy(this.#ctx, toUin, items, options);
  }

  sendGroup(gid: number, items: readonly ContentItem[], options: WebQQSendOptions = {}) {
    return send.sendGroup(this.#ctx, gid, items, options, pictures.gfaceSig);
  }

  sendDiscussion(did: number, items: readonly ContentItem[], options: WebQQSendOptions = {}) {
    return send.sendDiscussion(this.#ctx, did, items, options, pictures.gfaceSig);
  }

  /** A temporary (sess) message to a group member who is not a friend. */
  sendSess(gid: number, toUin: number, items: readonly ContentItem[], options: WebQQSendOptions = {}) {
    return send.sendSess(this.#ctx, gid, toUin, items, options);
  }

  // ---- polling ----------------------------------------------------------------------------------

  /** One poll2 by hand (the loop `connect()` starts does this for you); the raw envelope. */
  poll(options: CallOptions = {}): Promise<Envelope> {
    return poll(this.#ctx, options);
  }
}
