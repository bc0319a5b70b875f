import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { credentialKey, FileCredentialStore } from "../../src/core/credentials.js";
import { AuthError, ValidationError } from "../../src/core/errors.js";
import { VkLiveClient } from "../../src/vklive/client/index.js";
import {
  authorizeUrl,
  basicAuthHeader,
  OAuthState,
  parseCodeRedirect,
  parseImplicitFragment,
  TokenManager,
  type TokenSet,
} from "../../src/vklive/client/oauth.js";
import { basic, bearer, form, type Harness, raw, startEmulator, type World, world } from "./harness.js";

let h: Harness;
let w: World;

beforeAll(async () => {
  h = await startEmulator();
  w = world(h);
});
afterAll(() => h.close());

const authorizeQuery = (extra: Record<string, string> = {}) =>
  new URLSearchParams({
    client_id: w.clientId,
    redirect_uri: w.redirectUri,
    response_type: "code",
    ...extra,
  }).toString();

/** What a browser does: GET the page, read the form, POST the decision. */
async function clickAllow(query: string, userId: number, decision = "allow"): Promise<string> {
  const page = await raw(h.base, "GET", `/app/oauth2/authorize?${query}`);
  expect(page.status).toBe(200);
  expect(page.headers.get("content-type")).toContain("text/html");
  const fields: Record<string, string> = {};
  for (const m of page.text.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)) {
    fields[m[1] as string] = (m[2] as string)
      .replace(/&amp;/g, "&")
      .replace(/&quot;/g, '"')
      .replace(/&#39;/g, "'");
  }
  const res = await raw(
    h.base,
    "POST",
    "/app/oauth2/authorize",
    form,
    new URLSearchParams({ ...fields, user_id: String(userId), decision }).toString(),
  );
  expect(res.status).toBe(302);
  return res.headers.get("location") ?? "";
}

describe("authorize window (raw HTTP)", () => {
  it("renders a consent page listing scopes and sandbox users", async () => {
    const page = await raw(
      h.base,
      "GET",
      `/app/oauth2/authorize?${authorizeQuery({ scope: "chat:message:send,chat:settings", state: "xyz" })}`,
    );
    expect(page.status).toBe(200);
    expect(page.text).toContain("chat:message:send");
    expect(page.text).toContain("streamer");
    expect(page.text).toContain('name="decision" value="allow"');
  });

  it("CodeFlow: allow redirects with code and state; the code exchanges once (Basic, form)", async () => {
    const loc = await clickAllow(authorizeQuery({ scope: "chat:message:send", state: "s1" }), w.viewer);
    expect(loc.startsWith(`${w.redirectUri}?`)).toBe(true);
    const { code, state } = parseCodeRedirect(loc);
    expect(state).toBe("s1");
    const body = new URLSearchParams({
      grant_type: "authorization_code",
      code: code ?? "",
      redirect_uri: w.redirectUri,
    }).toString();
    const r = await raw(
      h.base,
      "POST",
      "/oauth/server/token",
      { ...basic(w.clientId, w.secret), ...form },
      body,
    );
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({ token_type: "Bearer", expires_in: 3600 });
    expect(typeof r.json.access_token).toBe("string");
    expect(typeof r.json.refresh_token).toBe("string");
    // The token works and carries exactly the granted scope.
    const ok = await raw(h.base, "GET", "/v1/current_user", bearer(r.json.access_token));
    expect(ok.json.data.user.id).toBe(w.viewer);
    const denied = await raw(
      h.base,
      "GET",
      `/v1/chat/settings?channel_url=${w.channelUrl}`,
      bearer(r.json.access_token),
    );
    expect(denied.status).toBe(403);
    expect(denied.json.error).toBe("invalid_scope");
    // The code exchanges once. (A replay also revokes what it issued: oauth-family.test.ts.)
    const again = await raw(
      h.base,
      "POST",
      "/oauth/server/token",
      { ...basic(w.clientId, w.secret), ...form },
      body,
    );
    expect(again.status).toBe(400);
    expect(again.json.error).toBe("invalid_grant");
  });

  it("ImplicitFlow: the token arrives in the fragment with expire_time and state", async () => {
    const loc = await clickAllow(authorizeQuery({ response_type: "token", state: "imp" }), w.viewer);
    expect(loc).toContain("#");
    const t = parseImplicitFragment(loc);
    expect(t.state).toBe("imp");
    expect(t.token_type).toBe("Bearer");
    expect(t.expire_time).toBeGreaterThan(Date.now() / 1000);
    const me = await raw(h.base, "GET", "/v1/current_user", bearer(t.access_token));
    expect(me.status).toBe(200);
  });

  it("deny → access_denied with state; wrong redirect_uri is shown, never redirected", async () => {
    const loc = await clickAllow(authorizeQuery({ state: "d" }), w.viewer, "deny");
    expect(parseCodeRedirect(loc)).toMatchObject({ error: "access_denied", state: "d" });
    const bad = await raw(
      h.base,
      "GET",
      `/app/oauth2/authorize?${authorizeQuery({ redirect_uri: `${w.redirectUri}/x` })}`,
    );
    expect(bad.status).toBe(400);
    expect(bad.text).toContain("redirect_uri");
    const unknown = await raw(h.base, "GET", "/app/oauth2/authorize?client_id=nope&redirect_uri=http://x/");
    expect(unknown.status).toBe(400);
  });

  it("unknown scope → redirect with invalid_scope", async () => {
    const r = await raw(
      h.base,
      "GET",
      `/app/oauth2/authorize?${authorizeQuery({ scope: "chat:everything", state: "q" })}`,
    );
    expect(r.status).toBe(302);
    expect(parseCodeRedirect(r.headers.get("location") ?? "")).toMatchObject({
      error: "invalid_scope",
      state: "q",
    });
  });

  it("a forged consent form (bad mac) is refused", async () => {
    const res = await raw(
      h.base,
      "POST",
      "/app/oauth2/authorize",
      form,
      `${authorizeQuery()}&consent=forged&user_id=${w.viewer}&decision=allow`,
    );
    expect(res.status).toBe(400);
  });
});

describe("token endpoint (raw HTTP)", () => {
  const tokenReq = (body: Record<string, string>, auth = basic(w.clientId, w.secret)) =>
    raw(h.base, "POST", "/oauth/server/token", { ...auth, ...form }, new URLSearchParams(body).toString());

  it("refresh rotates: new pair works, the old refresh token is burnt", async () => {
    const t = h.emu.admin.issueToken({ clientId: w.clientId, userId: w.viewer, scopes: [] });
    const r = await tokenReq({
      grant_type: "refresh_token",
      refresh_token: t.refresh_token,
      redirect_uri: w.redirectUri,
    });
    expect(r.status).toBe(200);
    expect(r.json.refresh_token).not.toBe(t.refresh_token);
    expect((await raw(h.base, "GET", "/v1/token", bearer(t.access_token))).status).toBe(401);
    expect((await raw(h.base, "GET", "/v1/token", bearer(r.json.access_token))).json.data.type).toBe("user");
    const again = await tokenReq({ grant_type: "refresh_token", refresh_token: t.refresh_token });
    expect(again.json.error).toBe("invalid_grant");
  });

  it("client_credentials answers access_token, expire_time, token_type; the app token can't do user methods", async () => {
    const r = await tokenReq({ grant_type: "client_credentials" });
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({ token_type: "Bearer", expire_time: 3600 });
    expect(
      (await raw(h.base, "GET", `/v1/channel?channel_url=${w.channelUrl}`, bearer(r.json.access_token)))
        .status,
    ).toBe(200);
    const me = await raw(h.base, "GET", "/v1/current_user", bearer(r.json.access_token));
    expect(me.status).toBe(403);
    expect(me.json).toEqual({ error: "forbidden", error_description: "Access to resource forbidden" });
  });

  it("bad client credentials → 401 unauthorized; missing / unknown grant", async () => {
    const r = await tokenReq({ grant_type: "client_credentials" }, basic(w.clientId, "wrong"));
    expect(r.status).toBe(401);
    expect(r.json).toEqual({ error: "unauthorized", error_description: "Not authorized" });
    expect((await tokenReq({})).json.error).toBe("missing_param");
    expect((await tokenReq({ grant_type: "password" })).json.error).toBe("unsupported_grant_type");
    expect(
      (await raw(h.base, "POST", "/oauth/server/token", form, "grant_type=client_credentials")).status,
    ).toBe(401);
  });

  it("revoke answers {} and kills both tokens of the grant; unknown tokens also {}", async () => {
    const t = h.emu.admin.issueToken({ clientId: w.clientId, userId: w.viewer, scopes: [] });
    const r = await raw(
      h.base,
      "POST",
      "/oauth/server/revoke",
      { ...basic(w.clientId, w.secret), ...form },
      new URLSearchParams({ token: t.refresh_token, token_type_hint: "refresh_token" }).toString(),
    );
    expect(r.status).toBe(200);
    expect(r.json).toEqual({});
    expect((await raw(h.base, "GET", "/v1/token", bearer(t.access_token))).status).toBe(401);
    const unknown = await raw(
      h.base,
      "POST",
      "/oauth/server/revoke",
      { ...basic(w.clientId, w.secret), ...form },
      "token=nothing&token_type_hint=access_token",
    );
    expect(unknown.json).toEqual({});
  });
});

describe("client OAuth", () => {
  const client = (extra: Partial<ConstructorParameters<typeof VkLiveClient>[0]> = {}) =>
    new VkLiveClient({
      url: h.base,
      clientId: w.clientId,
      clientSecret: w.secret,
      redirectUri: w.redirectUri,
      retries: 0,
      ...extra,
    });

  it("authorizeUrl + OAuthState (CSRF) + exchangeCode", async () => {
    const states = new OAuthState({ key: "k" });
    const state = states.create("session-1");
    const url = client().authorizeUrl({ scopes: ["chat:message:send"], state });
    expect(url.startsWith(`${h.base}/app/oauth2/authorize?`)).toBe(true);
    const q = new URL(url).searchParams;
    expect(q.get("scope")).toBe("chat:message:send");
    const loc = await clickAllow(new URL(url).search.slice(1), w.viewer);
    const redirect = parseCodeRedirect(loc);
    expect(states.verify(redirect.state, "session-1")).toBe(true);
    expect(states.verify(redirect.state, "session-2")).toBe(false);
    expect(states.verify(`${redirect.state}x`, "session-1")).toBe(false);
    expect(states.verify(state, "session-1", Date.now() + 11 * 60_000)).toBe(false);
    const c = client();
    const tokens = await c.exchangeCode(redirect.code ?? "");
    expect(tokens.refreshToken).toBeDefined();
    expect((await c.currentUser()).user.nick).toBe("viewer");
  });

  it("authorizeUrl defaults to the production window", () => {
    const u = authorizeUrl({ clientId: "c", redirectUri: "https://x/cb", state: "s" });
    expect(u).toBe(
      "https://auth.live.vkvideo.ru/app/oauth2/authorize?client_id=c&redirect_uri=https%3A%2F%2Fx%2Fcb&response_type=code&state=s",
    );
    expect(basicAuthHeader("a", "b")).toBe(`Basic ${Buffer.from("a:b").toString("base64")}`);
  });

  it("refreshes before expiry, and after a 401, once for 20 parallel calls (race)", async () => {
    const t = h.emu.admin.issueToken({ clientId: w.clientId, userId: w.viewer, scopes: [], expiresIn: 30 });
    const before = h.emu.admin.stats().tokenRequests.refresh_token ?? 0;
    // Expires in 30 s < 60 s skew: the first calls renew ahead, once.
    const c = client({
      tokens: {
        accessToken: t.access_token,
        refreshToken: t.refresh_token,
        expiresAt: Date.now() + 30_000,
        tokenType: "Bearer",
      },
    });
    const results = await Promise.all(Array.from({ length: 20 }, () => c.tokenInfo()));
    expect(results.every((r) => r.type === "user")).toBe(true);
    expect((h.emu.admin.stats().tokenRequests.refresh_token ?? 0) - before).toBe(1);
    expect(c.tokens.renewals).toBe(1);

    // Now the server revokes the access token behind the client's back: 401 → one refresh.
    const current = c.tokens.tokens?.accessToken ?? "";
    await raw(
      h.base,
      "POST",
      "/oauth/server/revoke",
      { ...basic(w.clientId, w.secret), ...form },
      `token=${current}&token_type_hint=access_token`,
    );
    // Revoking the access token kills its grant, including the refresh token: re-login needed.
    await expect(c.tokenInfo()).rejects.toBeInstanceOf(AuthError);
  });

  it("401 with a still-valid refresh token → refresh once and retry, for parallel callers", async () => {
    const t = h.emu.admin.issueToken({ clientId: w.clientId, userId: w.viewer, scopes: [], expiresIn: 1 });
    // The client thinks the token is good for an hour; the server says it expired.
    const c = client({
      tokens: {
        accessToken: t.access_token,
        refreshToken: t.refresh_token,
        expiresAt: Date.now() + 3600_000,
        tokenType: "Bearer",
      },
    });
    h.advance(2000);
    try {
      const before = h.emu.admin.stats().tokenRequests.refresh_token ?? 0;
      const r = await Promise.all(Array.from({ length: 10 }, () => c.currentUser()));
      expect(r.every((x) => x.user.id === w.viewer)).toBe(true);
      expect((h.emu.admin.stats().tokenRequests.refresh_token ?? 0) - before).toBe(1);
    } finally {
      h.now.value = null;
    }
  });

  it("app auth: client credentials fetched once and reused; Basic auth works; /v1/token rejects Basic", async () => {
    const before = h.emu.admin.stats().tokenRequests.client_credentials ?? 0;
    const app = client();
    await Promise.all([
      app.channel(w.channelUrl),
      app.channel(w.channelUrl),
      app.chatMessages(w.channelUrl, 5),
    ]);
    expect((h.emu.admin.stats().tokenRequests.client_credentials ?? 0) - before).toBe(1);
    expect((await app.tokenInfo()).type).toBe("app");
    const b = client({ auth: "basic" });
    expect((await b.channel(w.channelUrl)).channel.url).toBe(w.channelUrl);
    await expect(b.tokenInfo()).rejects.toMatchObject({ code: "forbidden" });
  });

  it("revoke via the client; a token store file is 0600 and receives refreshed tokens", async () => {
    const dir = mkdtempSync(join(tmpdir(), "vklive-tokens-"));
    try {
      const file = join(dir, "sub", "tokens.json");
      const t = h.emu.admin.issueToken({ clientId: w.clientId, userId: w.viewer, scopes: [] });
      const store = new FileCredentialStore<TokenSet>(file);
      const key = credentialKey(h.base, "viewer");
      await store.save(key, {
        accessToken: t.access_token,
        refreshToken: t.refresh_token,
        expiresAt: Date.now() - 1,
        tokenType: "Bearer",
      });
      expect(statSync(file).mode & 0o777).toBe(0o600);
      const c = client({ credentials: store, account: "viewer" });
      await c.tokenInfo();
      const saved = JSON.parse(readFileSync(file, "utf8"));
      expect(saved.version).toBe(2);
      expect(saved.accounts[key].accessToken).not.toBe(t.access_token);
      expect(statSync(file).mode & 0o777).toBe(0o600);
      await c.revoke();
      await expect(c.tokenInfo()).rejects.toBeInstanceOf(AuthError);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("an app client that completes a login acts as the user and renews by refresh token", async () => {
    const c = client();
    expect((await c.tokenInfo()).type).toBe("app");
    const { location } = h.emu.admin.consent({
      clientId: w.clientId,
      userId: w.viewer,
      redirectUri: w.redirectUri,
      state: "z",
    });
    await c.exchangeCode(parseCodeRedirect(location).code ?? "");
    expect((await c.tokenInfo()).type).toBe("user");
    const before = h.emu.admin.stats().tokenRequests.refresh_token ?? 0;
    await c.refresh();
    expect((h.emu.admin.stats().tokenRequests.refresh_token ?? 0) - before).toBe(1);
    expect((await c.currentUser()).user.id).toBe(w.viewer);
  });

  it("implicit parser rejects junk and reports errors", () => {
    expect(() => parseImplicitFragment("#state=x")).toThrow(ValidationError);
    expect(() => parseImplicitFragment("https://x/cb#error=access_denied")).toThrow(AuthError);
    expect(parseImplicitFragment("access_token=a&expire_time=10&token_type=Bearer").access_token).toBe("a");
  });

  it("TokenManager without a way to renew surfaces the 401", async () => {
    const m = new TokenManager({ tokens: { accessToken: "x", tokenType: "Bearer" } });
    expect(await m.accessToken()).toBe("x");
    expect(await m.afterUnauthorized("x")).toBeUndefined();
    const c = new VkLiveClient({
      url: h.base,
      tokens: { accessToken: "bad", tokenType: "Bearer" },
      retries: 0,
    });
    await expect(c.currentUser()).rejects.toMatchObject({ name: "AuthError", code: "unauthorized" });
  });
});
