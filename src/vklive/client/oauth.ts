/**
 * OAuth of the DevAPI: the authorize window URL with `state` (and a CSRF check helper),
 * CodeFlow exchange, refresh, ClientCredentials, revoke, the ImplicitFlow fragment parser,
 * and a TokenManager that refreshes before expiry and after a 401, once for parallel callers.
 */
import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import type { CallOptions } from "../../core/call.js";
import { ApiError, AuthError, ValidationError } from "../../core/errors.js";
import type { HttpClient } from "../../core/http.js";
import { parseResponse, validateInput } from "../../core/validation.js";
import {
  type ImplicitToken,
  Paths,
  type Scope,
  type TokenResponse,
  VKLIVE_ENDPOINTS,
} from "../protocol/index.js";

/** Tokens as the client keeps them: absolute expiry in ms. */
export interface TokenSet {
  accessToken: string;
  refreshToken?: string;
  /** Epoch ms when the access token expires; undefined = unknown. */
  expiresAt?: number;
  tokenType: string;
  scope?: string;
}

export function basicAuthHeader(clientId: string, secret: string): string {
  return `Basic ${Buffer.from(`${clientId}:${secret}`, "utf8").toString("base64")}`;
}

export function bearerAuthHeader(token: string): string {
  return `Bearer ${token}`;
}

export interface AuthorizeUrlOptions {
  clientId: string;
  redirectUri: string;
  scopes?: readonly (Scope | string)[];
  state?: string;
  /** `code` (CodeFlow, default) or `token` (ImplicitFlow). */
  responseType?: "code" | "token";
  /** Window base, default https://auth.live.vkvideo.ru. */
  authUrl?: string;
}

export function authorizeUrl(o: AuthorizeUrlOptions): string {
  const u = new URL(Paths.authorize, o.authUrl ?? "https://auth.live.vkvideo.ru");
  u.searchParams.set("client_id", o.clientId);
  u.searchParams.set("redirect_uri", o.redirectUri);
  u.searchParams.set("response_type", o.responseType ?? "code");
  if (o.scopes?.length) u.searchParams.set("scope", o.scopes.join(","));
  if (o.state !== undefined) u.searchParams.set("state", o.state);
  return u.toString();
}

/**
 * CSRF protection for the redirect: `create()` gives a state bound to a session id (an HMAC,
 * so nothing has to be stored) with an expiry; `verify()` checks it came back unchanged, for
 * this session, in time. Compare in constant time.
 */
export class OAuthState {
  readonly #key: Buffer;
  readonly #ttlMs: number;
  constructor(options: { key?: string | Buffer; ttlMs?: number } = {}) {
    this.#key = options.key ? Buffer.from(options.key) : randomBytes(32);
    this.#ttlMs = options.ttlMs ?? 10 * 60_000;
  }

  create(session: string, now = Date.now()): string {
    const nonce = randomBytes(12).toString("base64url");
    const exp = (now + this.#ttlMs).toString(36);
    return `${nonce}.${exp}.${this.#mac(session, nonce, exp)}`;
  }

  verify(state: string | null | undefined, session: string, now = Date.now()): boolean {
    if (typeof state !== "string") return false;
    const [nonce, exp, mac] = state.split(".");
    if (!nonce || !exp || !mac) return false;
    const want = Buffer.from(this.#mac(session, nonce, exp));
    const got = Buffer.from(mac);
    if (want.length !== got.length || !timingSafeEqual(want, got)) return false;
    return Number.parseInt(exp, 36) > now;
  }

  #mac(session: string, nonce: string, exp: string): string {
    return createHmac("sha256", this.#key).update(`${session}\n${nonce}\n${exp}`).digest("base64url");
  }
}

/** The redirect's query of CodeFlow: `code` and `state`, or `error`. */
export function parseCodeRedirect(url: string): { code?: string; state?: string; error?: string } {
  const u = new URL(url, "http://localhost");
  const out: { code?: string; state?: string; error?: string } = {};
  for (const k of ["code", "state", "error"] as const) {
    const v = u.searchParams.get(k);
    if (v !== null) out[k] = v;
  }
  return out;
}

/** ImplicitFlow: reads `#access_token=…&state=…&expire_time=…&token_type=Bearer`. */
export function parseImplicitFragment(urlOrFragment: string): ImplicitToken {
  const i = urlOrFragment.indexOf("#");
  const frag = i >= 0 ? urlOrFragment.slice(i + 1) : urlOrFragment.replace(/^#/, "");
  const p = new URLSearchParams(frag);
  const error = p.get("error");
  if (error) throw new AuthError(`authorization failed: ${error}`, { platform: "vklive", code: error });
  const access = p.get("access_token");
  const expire = Number(p.get("expire_time"));
  const type = p.get("token_type") ?? "Bearer";
  if (!access || !Number.isFinite(expire) || expire <= 0 || type.toLowerCase() !== "bearer") {
    throw new ValidationError("not an ImplicitFlow redirect fragment", {
      platform: "vklive",
      code: "invalid_param",
      issues: ["access_token, expire_time and token_type=Bearer are required"],
    });
  }
  const out: ImplicitToken = { access_token: access, expire_time: expire, token_type: "Bearer" };
  const state = p.get("state");
  if (state !== null) out.state = state;
  return out;
}

export function implicitToTokenSet(t: ImplicitToken): TokenSet {
  return { accessToken: t.access_token, expiresAt: t.expire_time * 1000, tokenType: "Bearer" };
}

export function toTokenSet(r: TokenResponse, now = Date.now()): TokenSet {
  const ttl = r.expires_in ?? r.expire_time;
  const out: TokenSet = { accessToken: r.access_token, tokenType: r.token_type || "Bearer" };
  if (r.refresh_token) out.refreshToken = r.refresh_token;
  if (ttl !== undefined) out.expiresAt = now + ttl * 1000;
  if (r.scope) out.scope = r.scope;
  return out;
}

export interface OAuthClientOptions {
  http: HttpClient;
  clientId: string;
  clientSecret: string;
  redirectUri?: string;
}

/** The token and revoke endpoints (Basic client authentication, form bodies). */
export class OAuthClient {
  readonly #o: OAuthClientOptions;
  constructor(options: OAuthClientOptions) {
    this.#o = options;
  }

  get clientId(): string {
    return this.#o.clientId;
  }

  async #token(form: Record<string, string>, o: CallOptions): Promise<TokenSet> {
    const e = VKLIVE_ENDPOINTS.token;
    validateInput(e.request, { body: form }, { platform: "vklive", what: "token" });
    const res = await this.#o.http
      .request({
        method: e.method,
        path: e.path,
        form,
        headers: { authorization: basicAuthHeader(this.#o.clientId, this.#o.clientSecret) },
        signal: o.signal,
        ...(o.timeoutMs !== undefined ? { timeoutMs: o.timeoutMs } : {}),
        // A token request isn't repeated blindly: a reused code or refresh token is burnt.
        idempotent: false,
      })
      .catch((err: unknown) => {
        // A burnt code or refresh token means: log in again.
        if (err instanceof ApiError && err.code === "invalid_grant") {
          throw new AuthError(err.message, {
            platform: "vklive",
            code: "invalid_grant",
            cause: err,
            details: err.details,
          });
        }
        throw err;
      });
    return toTokenSet(parseResponse(e.response, res.data, { platform: "vklive", what: `POST ${e.path}` }));
  }

  exchangeCode(code: string, redirectUri = this.#o.redirectUri, o: CallOptions = {}): Promise<TokenSet> {
    if (!redirectUri)
      throw new ValidationError("redirectUri is required", { platform: "vklive", code: "missing_param" });
    return this.#token({ grant_type: "authorization_code", code, redirect_uri: redirectUri }, o);
  }

  refresh(refreshToken: string, o: CallOptions = {}): Promise<TokenSet> {
    const form: Record<string, string> = { grant_type: "refresh_token", refresh_token: refreshToken };
    if (this.#o.redirectUri) form.redirect_uri = this.#o.redirectUri;
    return this.#token(form, o);
  }

  clientCredentials(o: CallOptions = {}): Promise<TokenSet> {
    return this.#token({ grant_type: "client_credentials" }, o);
  }

  async revoke(
    token: string,
    hint: "access_token" | "refresh_token" = "access_token",
    o: CallOptions = {},
  ): Promise<void> {
    const e = VKLIVE_ENDPOINTS.revoke;
    const form = { token, token_type_hint: hint };
    validateInput(e.request, { body: form }, { platform: "vklive", what: "revoke" });
    const res = await this.#o.http.request({
      method: e.method,
      path: e.path,
      form,
      headers: { authorization: basicAuthHeader(this.#o.clientId, this.#o.clientSecret) },
      signal: o.signal,
      ...(o.timeoutMs !== undefined ? { timeoutMs: o.timeoutMs } : {}),
      idempotent: true,
    });
    parseResponse(e.response, res.data ?? {}, { platform: "vklive", what: `POST ${e.path}` });
  }
}

export interface TokenManagerOptions {
  tokens?: TokenSet;
  /** How to get new tokens: refresh (user) or client credentials (app). */
  renew?: (current: TokenSet | undefined) => Promise<TokenSet>;
  /** Call `renew` when there are no tokens at all (app tokens); user tokens need a login. */
  fetchWhenEmpty?: boolean;
  /** Refresh this long before expiry (default 60 s, at most half the lifetime). */
  skewMs?: number;
  onTokens?: (tokens: TokenSet) => void | Promise<void>;
  /** A renewal was refused for good (AuthError): e.g. forget the stored tokens. Awaited. */
  onRefused?: (error: AuthError) => void | Promise<void>;
  now?: () => number;
}

/**
 * Holds the current tokens. `accessToken()` renews ahead of expiry; `afterUnauthorized(t)`
 * renews when the token that got the 401 is still the current one. Both share one in-flight
 * renewal, so N parallel calls cause one token request.
 *
 * A renewal refused with an AuthError (`invalid_grant`: the refresh token was burnt, e.g. the
 * server revoked the token family after a replay) is final: the tokens are dropped and every
 * later call fails at once with that error, without asking the token endpoint again, until
 * `set()` gives new tokens (a new login). No refresh loop.
 */
export class TokenManager {
  #tokens: TokenSet | undefined;
  #inflight: Promise<TokenSet> | undefined;
  #refused: AuthError | undefined;
  readonly #o: TokenManagerOptions;
  renewals = 0;

  constructor(options: TokenManagerOptions) {
    this.#o = options;
    this.#tokens = options.tokens;
  }

  get tokens(): TokenSet | undefined {
    return this.#tokens;
  }

  set(tokens: TokenSet): void {
    this.#tokens = tokens;
    this.#refused = undefined;
  }

  /** Drops the tokens (logged out): calls go without a token until `set()` (a new login). */
  clear(): void {
    this.#tokens = undefined;
    this.#refused = undefined;
  }

  /** The AuthError that ended renewal (a new login is needed), if any. */
  get refused(): AuthError | undefined {
    return this.#refused;
  }

  /** Switches how tokens are renewed (e.g. an app client that just completed a user login). */
  setRenew(renew: TokenManagerOptions["renew"], fetchWhenEmpty = false): void {
    this.#o.renew = renew;
    this.#o.fetchWhenEmpty = fetchWhenEmpty;
  }

  get canRenew(): boolean {
    return this.#o.renew !== undefined;
  }

  /**
   * The access token when `accessToken()` would answer it as it is (held, not refused, no renewal
   * due), without a promise; undefined when `accessToken()` has to decide.
   */
  currentToken(): string | undefined {
    const t = this.#tokens;
    if (this.#refused || !t) return undefined;
    if (this.#o.renew && t.expiresAt !== undefined && this.#due(t)) return undefined;
    return t.accessToken;
  }

  async accessToken(): Promise<string | undefined> {
    if (this.#refused) throw this.#refused;
    const t = this.#tokens;
    if (!t) return this.#o.renew && this.#o.fetchWhenEmpty ? (await this.renew()).accessToken : undefined;
    if (this.#o.renew && t.expiresAt !== undefined && this.#due(t)) {
      return (await this.renew()).accessToken;
    }
    return t.accessToken;
  }

  /** After a 401 with `used`: renew unless someone already did. */
  async afterUnauthorized(used: string | undefined): Promise<string | undefined> {
    if (!this.#o.renew) return undefined;
    if (this.#refused) throw this.#refused;
    if (this.#tokens && this.#tokens.accessToken !== used) return this.#tokens.accessToken;
    return (await this.renew()).accessToken;
  }

  renew(): Promise<TokenSet> {
    const renew = this.#o.renew;
    if (!renew)
      return Promise.reject(
        new AuthError("no way to renew the token", { platform: "vklive", code: "unauthorized" }),
      );
    if (this.#refused) return Promise.reject(this.#refused);
    this.#inflight ??= (async () => {
      try {
        let next: TokenSet;
        try {
          next = await renew(this.#tokens);
        } catch (err) {
          if (err instanceof AuthError) {
            this.#refused = err;
            this.#tokens = undefined;
            await this.#o.onRefused?.(err);
          }
          throw err;
        }
        // A refresh answer without a new refresh token keeps the old one.
        if (!next.refreshToken && this.#tokens?.refreshToken) next.refreshToken = this.#tokens.refreshToken;
        this.#tokens = next;
        this.renewals += 1;
        await this.#o.onTokens?.(next);
        return next;
      } finally {
        this.#inflight = undefined;
      }
    })();
    return this.#inflight;
  }

  #due(t: TokenSet): boolean {
    const now = (this.#o.now ?? Date.now)();
    const left = (t.expiresAt ?? Number.POSITIVE_INFINITY) - now;
    return left <= (this.#o.skewMs ?? 60_000);
  }
}
