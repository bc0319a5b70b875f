/**
 * The OAuth server: the consent page at /app/oauth2/authorize (CodeFlow and ImplicitFlow),
 * /oauth/server/token (authorization_code, refresh_token, client_credentials) and
 * /oauth/server/revoke. Codes and tokens are stored hashed; refresh rotates the grant.
 *
 * Token families (OAuth 2.0 Security BCP, RFC 9700 §2.2.2 and §4.14; RFC 6749 §4.1.2): every
 * access and refresh token descending from one authorization shares a family id. A refresh
 * token that was already rotated (or revoked) coming back, or a replayed authorization code,
 * is answered `invalid_grant` and revokes the whole family: one of the two parties holding
 * those tokens is an attacker, and the server can't tell which.
 */
import { createHash, createHmac, randomUUID, timingSafeEqual } from "node:crypto";
import { Paths, SCOPES, type Scope } from "../protocol/index.js";
import { type Emu, fail, hashSecret, newToken, sec, type UserRow, VkFault } from "./context.js";
import { SQL } from "./store/sql.js";

export interface AppRow {
  client_id: string;
  secret_hash: string;
  signature_key: string;
  redirect_uri: string;
  webhook_url: string | null;
  created_at: number;
}

export type Flow = "code" | "implicit" | "client_credentials" | "admin";

export interface Issued {
  access_token: string;
  refresh_token?: string;
  expires_in: number;
  grantId: string;
  familyId: string;
}

/**
 * Thrown inside a token request's transaction when a replay was detected: the transaction rolls
 * back, then the caller revokes `familyId` in a transaction of its own and answers the error.
 */
export class FamilyBreach extends VkFault {
  constructor(
    readonly familyId: string | null,
    description: string,
  ) {
    super("invalid_grant", description);
  }
}

/** Revokes every token of a family (access and refresh, every rotation). */
export function revokeFamily(emu: Emu, familyId: string): number {
  return emu.q(SQL.revokeFamily).run(familyId).changes;
}

export function getApp(emu: Emu, clientId: string): AppRow | undefined {
  return emu.q(SQL.selectAppById).get(clientId) as AppRow | undefined;
}

/** `scope` as the window takes it: comma separated (spaces tolerated). Unknown names → undefined. */
export function parseScopes(raw: string | undefined): Scope[] | undefined {
  if (raw === undefined || raw.trim() === "") return [];
  const names = raw
    .split(/[,\s]+/)
    .map((s) => s.trim())
    .filter(Boolean);
  const known = new Set<string>(SCOPES);
  if (names.some((n) => !known.has(n))) return undefined;
  return [...new Set(names)] as Scope[];
}

export function issueTokens(
  emu: Emu,
  o: {
    clientId: string;
    userId: number | null;
    scopes: readonly Scope[];
    flow: Flow;
    redirectUri?: string | null;
    refresh: boolean;
    ttlSec?: number;
    /** The family a rotation continues; a new authorization starts one. */
    familyId?: string;
  },
): Issued {
  const now = emu.now();
  const ttl = o.ttlSec ?? emu.config.tokenTtlSec;
  const grantId = randomUUID();
  const familyId = o.familyId ?? grantId;
  const access = newToken();
  const insert = emu.q(SQL.insertToken);
  const scopes = o.scopes.join(",");
  insert.run(
    hashSecret(access),
    "access",
    grantId,
    familyId,
    o.clientId,
    o.userId,
    scopes,
    o.flow,
    o.redirectUri ?? null,
    now + ttl * 1000,
    now,
  );
  const out: Issued = { access_token: access, expires_in: ttl, grantId, familyId };
  if (o.refresh) {
    const refresh = newToken();
    insert.run(
      hashSecret(refresh),
      "refresh",
      grantId,
      familyId,
      o.clientId,
      o.userId,
      scopes,
      o.flow,
      o.redirectUri ?? null,
      now + emu.config.refreshTtlSec * 1000,
      now,
    );
    out.refresh_token = refresh;
  }
  return out;
}

/** Client authentication of the token/revoke endpoints: Basic header, or form fields. */
export function authenticateClient(
  emu: Emu,
  authorization: string | undefined,
  form: Record<string, string>,
): AppRow {
  let clientId: string | undefined;
  let secret: string | undefined;
  if (authorization?.startsWith("Basic ")) {
    const decoded = Buffer.from(authorization.slice(6).trim(), "base64").toString("utf8");
    const i = decoded.indexOf(":");
    if (i > 0) {
      clientId = decoded.slice(0, i);
      secret = decoded.slice(i + 1);
    }
  } else if (form.client_id !== undefined && form.client_secret !== undefined) {
    clientId = form.client_id;
    secret = form.client_secret;
  }
  if (clientId === undefined || secret === undefined) fail("unauthorized");
  const app = getApp(emu, clientId);
  if (!app || app.secret_hash !== hashSecret(secret)) fail("unauthorized");
  return app;
}

function need(form: Record<string, string>, key: string): string {
  const v = form[key];
  if (v === undefined || v === "") fail("missing_param", `${key} is required`);
  return v;
}

/** POST /oauth/server/token. */
export function tokenGrant(emu: Emu, app: AppRow, form: Record<string, string>): Record<string, unknown> {
  const grant = need(form, "grant_type");
  emu.stats.tokenRequests[grant] = (emu.stats.tokenRequests[grant] ?? 0) + 1;
  const now = emu.now();
  if (grant === "authorization_code") {
    const code = need(form, "code");
    const redirectUri = need(form, "redirect_uri");
    const row = emu.q(SQL.selectCode).get(hashSecret(code)) as
      | {
          code_hash: string;
          client_id: string;
          user_id: number;
          redirect_uri: string;
          scopes: string;
          expires_at: number;
          used: number;
          family_id: string | null;
        }
      | undefined;
    // A replayed code (RFC 6749 §4.1.2): refused, and what it already issued is revoked.
    if (row && row.client_id === app.client_id && row.used) {
      throw new FamilyBreach(row.family_id, "code is invalid, expired or already used");
    }
    if (!row || row.client_id !== app.client_id || row.expires_at <= now) {
      fail("invalid_grant", "code is invalid, expired or already used");
    }
    if (row.redirect_uri !== redirectUri)
      fail("invalid_grant", "redirect_uri does not match the authorization");
    const familyId = randomUUID();
    emu.q(SQL.markCodeUsed).run(familyId, row.code_hash);
    const t = issueTokens(emu, {
      familyId,
      clientId: app.client_id,
      userId: row.user_id,
      scopes: row.scopes ? (row.scopes.split(",") as Scope[]) : [],
      flow: "code",
      redirectUri: row.redirect_uri,
      refresh: true,
    });
    return {
      access_token: t.access_token,
      refresh_token: t.refresh_token,
      expires_in: t.expires_in,
      token_type: "Bearer",
    };
  }
  if (grant === "refresh_token") {
    const refresh = need(form, "refresh_token");
    const row = emu.q(SQL.selectRefreshToken).get(hashSecret(refresh)) as
      | {
          grant_id: string;
          client_id: string;
          user_id: number | null;
          scopes: string;
          flow: Flow;
          redirect_uri: string | null;
          expires_at: number;
          revoked: number;
          family_id: string | null;
        }
      | undefined;
    // A rotated (or revoked) refresh token coming back: the family is compromised (RFC 9700).
    if (row && row.client_id === app.client_id && row.revoked) {
      throw new FamilyBreach(row.family_id ?? row.grant_id, "refresh_token is invalid, expired or revoked");
    }
    if (!row || row.client_id !== app.client_id || row.expires_at <= now) {
      fail("invalid_grant", "refresh_token is invalid, expired or revoked");
    }
    const redirect = form.redirect_uri;
    if (
      redirect !== undefined &&
      redirect !== "" &&
      row.redirect_uri !== null &&
      redirect !== row.redirect_uri
    ) {
      fail("invalid_grant", "redirect_uri does not match the authorization");
    }
    // Rotation: the old pair stops working, a reused refresh token is an invalid grant.
    emu.q(SQL.revokeGrant).run(row.grant_id);
    const t = issueTokens(emu, {
      familyId: row.family_id ?? row.grant_id,
      clientId: app.client_id,
      userId: row.user_id,
      scopes: row.scopes ? (row.scopes.split(",") as Scope[]) : [],
      flow: row.flow,
      redirectUri: row.redirect_uri,
      refresh: true,
    });
    return {
      access_token: t.access_token,
      refresh_token: t.refresh_token,
      expires_in: t.expires_in,
      token_type: "Bearer",
    };
  }
  if (grant === "client_credentials") {
    const t = issueTokens(emu, {
      clientId: app.client_id,
      userId: null,
      scopes: [],
      flow: "client_credentials",
      refresh: false,
    });
    const out: Record<string, unknown> = {
      access_token: t.access_token,
      expire_time: t.expires_in,
      token_type: "Bearer",
    };
    if (form.state !== undefined) out.state = form.state;
    return out;
  }
  fail("unsupported_grant_type", `grant_type ${grant.slice(0, 64)} is not supported`);
}

/** POST /oauth/server/revoke: revokes the token's whole family (access and refresh, RFC 7009 §2.1). */
export function revokeToken(emu: Emu, app: AppRow, form: Record<string, string>): Record<string, never> {
  const token = need(form, "token");
  const hint = form.token_type_hint;
  if (hint !== undefined && hint !== "" && hint !== "access_token" && hint !== "refresh_token") {
    fail("invalid_param", "token_type_hint must be access_token or refresh_token");
  }
  const row = emu.q(SQL.selectTokenGrant).get(hashSecret(token)) as
    | { grant_id: string; family_id: string | null; client_id: string }
    | undefined;
  // RFC 7009: unknown tokens (or other apps' tokens) answer success without effect.
  if (row && row.client_id === app.client_id) {
    emu.q(SQL.revokeGrant).run(row.grant_id);
    if (row.family_id) revokeFamily(emu, row.family_id);
  }
  return {};
}

// ---------- the authorize window ----------

export interface AuthorizeParams {
  client_id: string;
  redirect_uri: string;
  response_type: "code" | "token";
  scope: Scope[];
  state?: string;
}

/** Problems shown on the page itself (never redirected: the redirect target isn't trusted). */
export class PageError extends Error {}

/** Validates the window's query; errors the redirect may carry come back as `redirectError`. */
export function checkAuthorize(
  emu: Emu,
  q: Record<string, unknown>,
): { params: AuthorizeParams; redirectError?: "invalid_scope" | "unsupported_response_type" } {
  const str = (k: string) => (typeof q[k] === "string" ? (q[k] as string) : undefined);
  const clientId = str("client_id");
  const redirectUri = str("redirect_uri");
  if (!clientId) throw new PageError("client_id is required");
  const app = getApp(emu, clientId);
  if (!app) throw new PageError("Unknown client_id");
  if (!redirectUri) throw new PageError("redirect_uri is required");
  if (redirectUri !== app.redirect_uri) throw new PageError("redirect_uri does not match the application's");
  const rt = str("response_type") ?? "code";
  const scopes = parseScopes(str("scope"));
  const params: AuthorizeParams = {
    client_id: clientId,
    redirect_uri: redirectUri,
    response_type: rt === "token" ? "token" : "code",
    scope: scopes ?? [],
  };
  const state = str("state");
  if (state !== undefined) params.state = state.slice(0, 2048);
  if (rt !== "code" && rt !== "token") return { params, redirectError: "unsupported_response_type" };
  if (scopes === undefined) return { params, redirectError: "invalid_scope" };
  return { params };
}

function withParams(uri: string, params: Record<string, string | undefined>, fragment: boolean): string {
  const sp = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined) sp.set(k, v);
  if (fragment) return `${uri.split("#")[0]}#${sp.toString()}`;
  return uri + (uri.includes("?") ? "&" : "?") + sp.toString();
}

export function errorRedirect(p: AuthorizeParams, error: string): string {
  return withParams(p.redirect_uri, { error, state: p.state }, p.response_type === "token");
}

/** The user's decision → the redirect location (code in the query, token in the fragment). */
export function consent(emu: Emu, p: AuthorizeParams, userId: number, allow: boolean): string {
  if (!allow) return errorRedirect(p, "access_denied");
  const user = emu.q(SQL.userExists).get(userId);
  if (!user) throw new PageError("Unknown user");
  const now = emu.now();
  if (p.response_type === "code") {
    const code = newToken(24);
    emu
      .q(SQL.insertCode)
      .run(
        hashSecret(code),
        p.client_id,
        userId,
        p.redirect_uri,
        p.scope.join(","),
        now + emu.config.codeTtlSec * 1000,
      );
    return withParams(p.redirect_uri, { code, state: p.state }, false);
  }
  const t = issueTokens(emu, {
    clientId: p.client_id,
    userId,
    scopes: p.scope,
    flow: "implicit",
    redirectUri: p.redirect_uri,
    refresh: false,
  });
  return withParams(
    p.redirect_uri,
    {
      access_token: t.access_token,
      state: p.state,
      expire_time: String(sec(now) + t.expires_in),
      token_type: "Bearer",
    },
    true,
  );
}

/** Binds the consent form to its parameters so another site can't post a forged decision. */
export function consentMac(emu: Emu, p: AuthorizeParams): string {
  return createHmac("sha256", emu.jwtSecret)
    .update(
      JSON.stringify([p.client_id, p.redirect_uri, p.response_type, p.scope.join(","), p.state ?? null]),
    )
    .digest("base64url");
}

export function checkConsentMac(emu: Emu, p: AuthorizeParams, mac: string | undefined): boolean {
  if (!mac) return false;
  const want = Buffer.from(consentMac(emu, p));
  const got = Buffer.from(mac);
  return want.length === got.length && timingSafeEqual(want, got);
}

const esc = (s: string) =>
  s.replace(
    /[&<>"']/g,
    (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c] ?? c,
  );

const CONSENT_STYLE = `body{font-family:system-ui,sans-serif;max-width:32rem;margin:3rem auto;padding:0 1rem}
button{padding:.5rem 1.2rem;margin-right:.5rem}select{padding:.3rem}`;

/**
 * The window's Content-Security-Policy: no script at all, the one inline style by its hash,
 * never framed (clickjacking: a page can't overlay the Allow button), no <base> rewriting.
 * No `form-action`: browsers apply it to the redirect after the POST, which goes to the app.
 */
export const CONSENT_CSP = [
  "default-src 'none'",
  `style-src 'sha256-${createHash("sha256").update(CONSENT_STYLE).digest("base64")}'`,
  "base-uri 'none'",
  "frame-ancestors 'none'",
].join("; ");

export function consentPage(emu: Emu, p: AuthorizeParams): string {
  const users = emu.q(SQL.selectUsersForConsent).all() as UserRow[];
  const hidden = (k: string, v: string | undefined) =>
    v === undefined ? "" : `<input type="hidden" name="${esc(k)}" value="${esc(v)}">`;
  const options = users.map((u) => `<option value="${u.id}">${esc(u.nick)} (id ${u.id})</option>`).join("");
  const scopes = p.scope.length
    ? `<ul>${p.scope.map((s) => `<li><code>${esc(s)}</code></li>`).join("")}</ul>`
    : "<p>No extra permissions.</p>";
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>VK Video Live — authorize ${esc(p.client_id)}</title>
<style>${CONSENT_STYLE}</style></head>
<body><h1>Authorize application</h1>
<p>The application <strong>${esc(p.client_id)}</strong> asks to act on your behalf (sandbox).</p>
<p>Requested permissions:</p>${scopes}
<form method="post" action="${Paths.authorize}">
${hidden("client_id", p.client_id)}${hidden("redirect_uri", p.redirect_uri)}${hidden("response_type", p.response_type)}
${hidden("scope", p.scope.join(","))}${hidden("state", p.state)}${hidden("consent", consentMac(emu, p))}
<p><label>Sign in as <select name="user_id" required>${options}</select></label></p>
${users.length ? "" : "<p><em>No sandbox users yet: create one with POST /_sandbox/vklive/users.</em></p>"}
<p><button type="submit" name="decision" value="allow">Allow</button>
<button type="submit" name="decision" value="deny">Deny</button></p>
</form></body></html>`;
}

export function errorPage(message: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Authorization error</title></head>
<body><h1>Authorization error</h1><p>${esc(message)}</p></body></html>`;
}
