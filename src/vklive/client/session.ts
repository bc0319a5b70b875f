/**
 * Who a VkLiveClient acts as, and its OAuth: the authorization mode (user / app / Basic), the
 * tokens (TokenManager: single-flight renewal) kept in a CredentialStore under `account`, and
 * the CodeFlow / ClientCredentials / revoke calls.
 */
import type { CallOptions } from "../../core/call.js";
import {
  type CredentialStore,
  type ServerCredentialStore,
  serverCredentials,
} from "../../core/credentials.js";
import { AuthError, ValidationError } from "../../core/errors.js";
import { HttpClient, type HttpResponse } from "../../core/http.js";
import { type Logger, silentLogger } from "../../core/log.js";
import { DEFAULT_OAUTH_URL } from "../protocol/base.js";
import { OAuthClient, TokenManager, type TokenSet } from "./oauth.js";
import { type AuthMode, mapVkError } from "./transport.js";

export interface SessionOptions {
  account: string;
  credentials: CredentialStore<TokenSet>;
  /** Whether `credentials` was given (stored tokens make a user client). */
  storedCredentials: boolean;
  oauthUrl: string;
  clientId?: string | undefined;
  clientSecret?: string | undefined;
  redirectUri?: string | undefined;
  auth?: "user" | "app" | "basic" | undefined;
  tokens?: TokenSet | undefined;
  refreshSkewMs?: number | undefined;
  timeoutMs?: number | undefined;
  retries?: number | undefined;
  fetch?: typeof fetch | undefined;
  logger?: Logger | undefined;
}

export class VkLiveSession {
  readonly tokens: TokenManager;
  readonly oauth: OAuthClient | undefined;
  readonly #o: SessionOptions;
  /** The tokens of this OAuth server + account (keyed by the server that issues them). */
  readonly #store: ServerCredentialStore<TokenSet>;
  readonly #log: Logger;
  #mode: AuthMode;
  #loaded: Promise<void> | undefined;
  /** The tokens in use came from the store (not the options, not a login in this process). */
  #fromStore = false;
  /** The tokens in use were refused and removed from the store (logged once). */
  #forgotten = false;

  constructor(o: SessionOptions) {
    this.#o = o;
    this.#log = o.logger ?? silentLogger;
    this.#store = serverCredentials(o.credentials, {
      url: o.oauthUrl,
      productionUrl: DEFAULT_OAUTH_URL,
      logger: this.#log,
      platform: "vklive",
    });
    if (o.clientId && o.clientSecret) {
      this.oauth = new OAuthClient({
        http: new HttpClient({
          platform: "vklive",
          baseUrl: o.oauthUrl,
          timeoutMs: o.timeoutMs,
          retries: o.retries,
          fetch: o.fetch,
          logger: o.logger,
          mapResponse: (res: HttpResponse<unknown>, ctx) => mapVkError(res, ctx.method, ctx.url),
        }),
        clientId: o.clientId,
        clientSecret: o.clientSecret,
        redirectUri: o.redirectUri,
      });
    }
    // Stored credentials make a user client; which ones there are is known only after loading.
    const userish = o.tokens !== undefined || o.storedCredentials;
    this.#mode = o.auth ?? (userish ? "user" : o.clientId && o.clientSecret ? "app" : "none");
    this.tokens = new TokenManager({
      tokens: this.#mode === "app" ? undefined : o.tokens,
      skewMs: o.refreshSkewMs,
      onTokens: (t) => (this.#mode === "user" ? this.#store.save(o.account, t) : undefined),
      // A refused refresh means the stored tokens are dead: never replay them on a later run.
      onRefused: (err) => (this.#mode === "user" ? this.#forget(err) : undefined),
    });
    this.#setRenew();
  }

  get mode(): AuthMode {
    return this.#mode;
  }

  /** Stored tokens are read once, before the first call; constructor tokens are saved. */
  load(): Promise<void> {
    this.#loaded ??= (async () => {
      if (this.#mode !== "user") return;
      const { account, tokens } = this.#o;
      if (tokens) {
        await this.#store.save(account, tokens);
        return;
      }
      const stored = await this.#store.load(account);
      if (stored && !this.tokens.tokens) {
        this.tokens.set(stored);
        this.#fromStore = true;
      }
    })();
    return this.#loaded;
  }

  /**
   * `err` ended a call made with stored tokens that the server no longer takes (a restarted
   * sandbox, revocation, a refused refresh). True when they were stored ones: they are removed
   * from the store (with a log line, no secret) and the client is logged out — a new login
   * (CodeFlow `exchangeCode`) works on it. False for anything else (tokens given in the
   * options are the caller's input: their AuthError stands).
   */
  async storedTokensRefused(err: unknown): Promise<boolean> {
    if (!(err instanceof AuthError) || this.#mode !== "user" || !this.#fromStore) return false;
    await this.#forget(err);
    return true;
  }

  async #forget(err: AuthError): Promise<void> {
    if (this.#forgotten) return;
    this.#forgotten = true;
    this.tokens.clear();
    let removed = true;
    await this.#store.delete(this.#o.account).catch(() => {
      removed = false;
    });
    this.#log.warn(
      { account: this.#o.account, url: this.#store.url, code: err.code, removed },
      "VK Live refused the stored tokens (expired, revoked, or issued by another server): removed; log in again",
    );
  }

  /** User mode renews by refresh token; app mode fetches client-credentials tokens. */
  #setRenew(): void {
    const oauth = this.oauth;
    if (!oauth) return;
    if (this.#mode === "user") {
      this.tokens.setRenew((t) => {
        if (!t?.refreshToken) {
          return Promise.reject(
            new AuthError("the token expired and there is no refresh token: log in again", {
              platform: "vklive",
              code: "unauthorized",
            }),
          );
        }
        return oauth.refresh(t.refreshToken);
      });
    } else if (this.#mode === "app") {
      this.tokens.setRenew(() => oauth.clientCredentials(), true);
    }
  }

  /** CodeFlow step 2: from now on the client acts as the user who logged in. */
  async exchangeCode(code: string, o: CallOptions & { redirectUri?: string }): Promise<TokenSet> {
    await this.load();
    const t = await this.needOAuth().exchangeCode(code, o.redirectUri, o);
    if (this.#mode !== "user") {
      this.#mode = "user";
      this.#setRenew();
    }
    this.tokens.set(t);
    this.#fromStore = false;
    this.#forgotten = false;
    await this.#store.save(this.#o.account, t);
    return t;
  }

  async refresh(): Promise<TokenSet> {
    await this.load();
    return this.tokens.renew();
  }

  async revoke(
    token: string | undefined,
    hint: "access_token" | "refresh_token",
    o: CallOptions,
  ): Promise<void> {
    await this.load();
    const t = token ?? this.tokens.tokens?.accessToken;
    if (!t) throw new ValidationError("no token to revoke", { platform: "vklive", code: "missing_param" });
    await this.needOAuth().revoke(t, hint, o);
  }

  needOAuth(): OAuthClient {
    if (!this.oauth) {
      throw new ValidationError("clientId and clientSecret are required for OAuth calls", {
        platform: "vklive",
        code: "missing_param",
      });
    }
    return this.oauth;
  }
}
