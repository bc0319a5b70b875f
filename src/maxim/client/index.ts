/**
 * MaxImClient: the typed client of the MaxIM server API. A thin facade: lifecycle, credentials
 * and events here; one method per endpoint in the area files (users, roster, groups, messages,
 * push), all going through `call(endpoint, input, options)` over the endpoint table.
 */
import type { CallOptions, ClientEventMap, ClientOptions, PlatformClient } from "../../core/call.js";
import {
  type CredentialStore,
  MemoryCredentialStore,
  normaliseServerUrl,
  serverCredentials,
} from "../../core/credentials.js";
import { type EmittedEvent, Emitter, type EventsOptions, type Listener } from "../../core/emitter.js";
import { ApiError, AuthError } from "../../core/errors.js";
import type { ConnectionState } from "../../core/model.js";
import { DEFAULT_ENDPOINT, MaxImEndpoints as E, Header } from "../protocol.js";
import { MaxImCore } from "./core.js";
import { type GroupsApi, groupsApi } from "./groups.js";
import { type MessagesApi, messagesApi } from "./messages.js";
import { type PushApi, pushApi } from "./push.js";
import { type RosterApi, rosterApi } from "./roster.js";
import { type UsersApi, usersApi } from "./users.js";

export type { MaxImCallOptions, MaxImInput, MaxImOutput, MaxImPage } from "./core.js";

/** What a MaxIM login is: the app, its access-token (app admin or user) and the acting user. */
export interface MaxImCredentials {
  appId: string;
  token: string;
  /** The `user_id` header (an app token acting as that user). */
  userId?: number;
}

export interface MaxImClientOptions extends ClientOptions<MaxImCredentials> {
  /** `api_endpoint` of the app (default the public cloud). */
  url?: string;
  appId: string;
  /** An access-token: the app's admin token or a user token (from `userToken`/`login`). */
  token?: string;
  /** The app's admin token (same header as `token`; `token` wins when both are given). */
  adminToken?: string;
  /** Act as this user (the `user_id` header, with an app token). */
  userId?: number;
  /** Retries of safe requests (GET/PUT/DELETE, sends with transaction_id), default 2. */
  retries?: number;
  fetch?: typeof fetch;
  /** Bound of each `events()` iterator's buffer (default 10 000). */
  eventBuffer?: number;
}

/** MaxIM client events: the connection `state` and `error` (a listener that threw: HandlerError). */
export interface MaxImClientEvents extends ClientEventMap {
  state: { state: ConnectionState; reason?: string };
  error: Error;
}

/** What `connect()` found out about the credentials. */
export interface MaxImIdentity {
  /** The acting user (a user token's owner, or the `userId` option); undefined for an app token alone. */
  userId: number | undefined;
  /**
   * False when the token stored for this server + account was refused (10008: expired,
   * revoked, or issued by another server, e.g. a restarted sandbox): it was removed from the
   * store and the client holds no token; `login` / `userToken` work, then `withToken`.
   */
  loggedIn: boolean;
}

// biome-ignore lint/suspicious/noUnsafeDeclarationMerging: the area methods are assigned to the prototype at the end of this file
export class MaxImClient extends MaxImCore implements PlatformClient<MaxImClientEvents> {
  readonly platform = "maxim" as const;
  readonly account: string;
  readonly appId: string;
  readonly #options: MaxImClientOptions;
  readonly #credentials: CredentialStore<MaxImCredentials>;
  readonly #emitter: Emitter<MaxImClientEvents>;
  #closed = new AbortController();
  #state: ConnectionState = "disconnected";
  #token: string | undefined;
  #userId: number | undefined;
  #connecting: Promise<MaxImIdentity> | undefined;
  #identity: MaxImIdentity | undefined;

  constructor(options: MaxImClientOptions) {
    const box: { self?: MaxImClient } = {};
    super({
      url: options.url ?? DEFAULT_ENDPOINT,
      timeoutMs: options.timeoutMs,
      retries: options.retries,
      fetch: options.fetch,
      logger: options.logger,
      closed: () => (box.self as MaxImClient).#closed.signal,
      headers: () => (box.self as MaxImClient).#headers(),
    });
    box.self = this;
    this.#options = options;
    this.appId = options.appId;
    this.account = options.account ?? "default";
    // Logins are kept per server URL + account: another sandbox's token is never sent here.
    this.#credentials = serverCredentials(options.credentials ?? new MemoryCredentialStore(), {
      url: options.url ?? DEFAULT_ENDPOINT,
      productionUrl: DEFAULT_ENDPOINT,
      logger: options.logger,
      platform: "maxim",
    });
    this.#token = options.token ?? options.adminToken;
    this.#userId = options.userId;
    this.#emitter = new Emitter({
      platform: "maxim",
      logger: options.logger,
      bufferSize: options.eventBuffer,
    });
  }

  /** The acting user (`user_id` header), when there is one. */
  get userId(): number | undefined {
    return this.#userId;
  }

  get state(): ConnectionState {
    return this.#state;
  }

  /**
   * The same app and token acting as `userId` (the `user_id` header). A derived client keeps its
   * credentials in memory only: it never overwrites what this client stored under `account`.
   */
  asUser(userId: number): MaxImClient {
    return new MaxImClient({ ...this.#options, credentials: undefined, token: this.#token, userId });
  }

  /** The same endpoint and app with another access-token (e.g. a user token from `userToken`). */
  withToken(token: string): MaxImClient {
    return new MaxImClient({
      ...this.#options,
      credentials: undefined,
      token,
      adminToken: undefined,
      userId: undefined,
    });
  }

  /**
   * Checks the credentials with one cheap call (the token from the options, else the one stored
   * under `account`) and saves them to the credential store. AuthError when they are wrong.
   */
  connect(options: CallOptions = {}): Promise<MaxImIdentity> {
    if (this.#closed.signal.aborted) this.#reopen();
    if (this.#state === "connected" && this.#identity) return Promise.resolve(this.#identity);
    this.#connecting ??= this.#connect(options).finally(() => {
      this.#connecting = undefined;
    });
    return this.#connecting;
  }

  async #connect(options: CallOptions): Promise<MaxImIdentity> {
    this.#setState("connecting");
    let fromStore = false;
    try {
      if (this.#token === undefined) {
        const stored = await this.#credentials.load(this.account);
        if (stored && stored.appId === this.appId) {
          this.#token = stored.token;
          this.#userId ??= stored.userId;
          fromStore = true;
        }
      }
      if (this.#token === undefined)
        throw new AuthError("MaxIM: no access-token (give `token` or store credentials for this account)", {
          platform: "maxim",
          code: 10003,
        });
      const identity = await this.#identify(options).catch((err: unknown) =>
        fromStore ? this.#storedTokenRefused(err) : Promise.reject(err),
      );
      if (!identity.loggedIn) return identity;
      await this.#credentials.save(this.account, {
        appId: this.appId,
        token: this.#token,
        ...(this.#userId !== undefined ? { userId: this.#userId } : {}),
      });
      this.#identity = identity;
      this.#setState("connected");
      return identity;
    } catch (err) {
      this.#setState("disconnected", err instanceof Error ? err.message : String(err));
      throw err;
    }
  }

  /** `/user/profile` names a user token's owner; an app token without `userId` answers 10002 there. */
  async #identify(options: CallOptions): Promise<MaxImIdentity> {
    try {
      const profile = await this.call(E.profile, {}, options);
      return { userId: profile.user_id, loggedIn: true };
    } catch (err) {
      if (!(err instanceof ApiError) || err.code !== 10002 || this.#userId !== undefined) throw err;
    }
    await this.page(E.userList, { page_size: 1 }, options);
    return { userId: undefined, loggedIn: true };
  }

  /**
   * The token stored for this server + account was refused (10008): it went stale (a restarted
   * sandbox, expiry, a password change). Removed from the store with a log line (no secret);
   * the client is connected and logged out, so the app's login works on it. Other errors rethrown.
   */
  async #storedTokenRefused(err: unknown): Promise<MaxImIdentity> {
    if (!(err instanceof AuthError) || err.code !== 10008) throw err;
    this.#token = this.#options.token ?? this.#options.adminToken;
    this.#userId = this.#options.userId;
    let removed = true;
    await this.#credentials.delete(this.account).catch(() => {
      removed = false;
    });
    this.log.warn(
      {
        account: this.account,
        url: normaliseServerUrl(this.#options.url ?? DEFAULT_ENDPOINT),
        code: 10008,
        removed,
      },
      "MaxIM refused the stored access-token (expired, revoked, or issued by another server): logged out; log in again",
    );
    const identity: MaxImIdentity = { userId: undefined, loggedIn: false };
    this.#identity = identity;
    this.#setState("connected");
    return identity;
  }

  /** Ends `events()` iterators and fails calls in flight. Safe to call twice. */
  async close(): Promise<void> {
    if (this.#state === "closed") return;
    this.#closed.abort();
    this.#setState("closed");
    this.#emitter.end();
  }

  #reopen(): void {
    // A closed client may connect again: a new lifecycle signal, iterators allowed again.
    this.#closed = new AbortController();
    this.#emitter.reopen();
  }

  on<K extends keyof MaxImClientEvents>(type: K, listener: Listener<MaxImClientEvents[K]>): () => void {
    return this.#emitter.on(type, listener);
  }

  off<K extends keyof MaxImClientEvents>(type: K, listener: Listener<MaxImClientEvents[K]>): void {
    this.#emitter.off(type, listener);
  }

  once<K extends keyof MaxImClientEvents>(type: K, listener: Listener<MaxImClientEvents[K]>): () => void {
    return this.#emitter.once(type, listener);
  }

  events<K extends keyof MaxImClientEvents = keyof MaxImClientEvents>(
    options?: EventsOptions<K>,
  ): AsyncIterableIterator<EmittedEvent<MaxImClientEvents, K>> {
    return this.#emitter.events(options);
  }

  #setState(state: ConnectionState, reason?: string): void {
    if (this.#state === state) return;
    this.#state = state;
    this.#emitter.emit("state", reason === undefined ? { state } : { state, reason });
  }

  /** The auth headers: the same object while token and user stay (no promise when known). */
  #headers(): Record<string, string> | Promise<Record<string, string>> {
    if (this.#token === undefined && this.#connecting === undefined) return this.#storedHeaders();
    return this.#currentHeaders();
  }

  #headerCache:
    | { token: string | undefined; userId: number | undefined; headers: Record<string, string> }
    | undefined;

  #currentHeaders(): Record<string, string> {
    const c = this.#headerCache;
    if (c && c.token === this.#token && c.userId === this.#userId) return c.headers;
    const h: Record<string, string> = { [Header.APP_ID]: this.appId };
    if (this.#token !== undefined) h[Header.ACCESS_TOKEN] = this.#token;
    if (this.#userId !== undefined) h[Header.USER_ID] = String(this.#userId);
    this.#headerCache = { token: this.#token, userId: this.#userId, headers: h };
    return h;
  }

  /** No token yet and no connect() under way: the one stored for this account, if any. */
  async #storedHeaders(): Promise<Record<string, string>> {
    const stored = await this.#credentials.load(this.account);
    if (stored && stored.appId === this.appId) {
      this.#token = stored.token;
      this.#userId ??= stored.userId;
    }
    return this.#currentHeaders();
  }
}

// The per-area methods (client/users.ts …) are MaxImClient's own: one prototype, one interface.
export interface MaxImClient extends UsersApi, RosterApi, GroupsApi, MessagesApi, PushApi {}
Object.assign(MaxImClient.prototype, usersApi, rosterApi, groupsApi, messagesApi, pushApi);
