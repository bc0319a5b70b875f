/**
 * OAuth 2.0 Security BCP (RFC 9700 §2.2.2, §4.14; RFC 6749 §4.1.2, §10.5): a refresh token
 * that was already rotated and comes back means it leaked, so the whole token family of that
 * authorization is revoked; a replayed authorization code is refused and the tokens already
 * issued from it are revoked. Raw HTTP against the emulator, then what the client makes of it.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AuthError } from "../../src/core/errors.js";
import { VkLiveClient } from "../../src/vklive/client/index.js";
import { basic, bearer, form, type Harness, raw, startEmulator, type World, world } from "./harness.js";

let h: Harness;
let w: World;

beforeAll(async () => {
  h = await startEmulator();
  w = world(h);
});
afterAll(() => h.close());

const tokenReq = (body: Record<string, string>) =>
  raw(
    h.base,
    "POST",
    "/oauth/server/token",
    { ...basic(w.clientId, w.secret), ...form },
    new URLSearchParams(body).toString(),
  );
const refresh = (rt: string) =>
  tokenReq({ grant_type: "refresh_token", refresh_token: rt, redirect_uri: w.redirectUri });
const exchange = (code: string) =>
  tokenReq({ grant_type: "authorization_code", code, redirect_uri: w.redirectUri });
const works = async (access: string) => (await raw(h.base, "GET", "/v1/token", bearer(access))).status;

/** A fresh authorization code for `userId` (what the consent window would redirect with). */
async function newCode(userId: number): Promise<string> {
  const q = new URLSearchParams({
    client_id: w.clientId,
    redirect_uri: w.redirectUri,
    response_type: "code",
  });
  const page = await raw(h.base, "GET", `/app/oauth2/authorize?${q}`);
  const fields: Record<string, string> = {};
  for (const m of page.text.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)) {
    fields[m[1] as string] = (m[2] as string).replace(/&amp;/g, "&");
  }
  const res = await raw(
    h.base,
    "POST",
    "/app/oauth2/authorize",
    form,
    new URLSearchParams({ ...fields, user_id: String(userId), decision: "allow" }).toString(),
  );
  const code = new URL(res.headers.get("location") ?? "").searchParams.get("code");
  if (!code) throw new Error("no code in the redirect");
  return code;
}

describe("token family revocation (raw HTTP)", () => {
  it("reusing a rotated refresh token revokes every token of the family; other families stay served", async () => {
    const first = await exchange(await newCode(w.viewer));
    expect(first.status).toBe(200);
    const second = await refresh(first.json.refresh_token);
    expect(second.status).toBe(200);
    const third = await refresh(second.json.refresh_token);
    expect(third.status).toBe(200);
    expect(await works(third.json.access_token)).toBe(200);
    // Another user's authorization of the same app: a separate family.
    const other = await exchange(await newCode(w.owner));

    // The first refresh token comes back (a thief, or a client that lost the rotation).
    const replay = await refresh(first.json.refresh_token);
    expect(replay.status).toBe(400);
    expect(replay.json.error).toBe("invalid_grant");

    // The newest pair of that family is dead too.
    expect(await works(third.json.access_token)).toBe(401);
    const after = await refresh(third.json.refresh_token);
    expect(after.status).toBe(400);
    expect(after.json.error).toBe("invalid_grant");

    // The other family is untouched.
    expect(await works(other.json.access_token)).toBe(200);
    expect((await refresh(other.json.refresh_token)).status).toBe(200);
  });

  it("a replayed authorization code is refused and revokes the tokens issued from it", async () => {
    const code = await newCode(w.viewer);
    const first = await exchange(code);
    expect(first.status).toBe(200);
    const rotated = await refresh(first.json.refresh_token);
    expect(rotated.status).toBe(200);
    expect(await works(rotated.json.access_token)).toBe(200);
    const bystander = await exchange(await newCode(w.viewer));

    const replay = await exchange(code);
    expect(replay.status).toBe(400);
    expect(replay.json).toMatchObject({ error: "invalid_grant" });
    expect(replay.json.access_token).toBeUndefined();

    expect(await works(first.json.access_token)).toBe(401);
    expect(await works(rotated.json.access_token)).toBe(401);
    expect((await refresh(rotated.json.refresh_token)).json.error).toBe("invalid_grant");
    // A second replay stays refused; the same user's other authorization is untouched.
    expect((await exchange(code)).json.error).toBe("invalid_grant");
    expect(await works(bystander.json.access_token)).toBe(200);
  });

  it("revoking a token (RFC 7009) revokes its family", async () => {
    const first = await exchange(await newCode(w.viewer));
    const rotated = await refresh(first.json.refresh_token);
    const r = await raw(
      h.base,
      "POST",
      "/oauth/server/revoke",
      { ...basic(w.clientId, w.secret), ...form },
      new URLSearchParams({ token: rotated.json.access_token, token_type_hint: "access_token" }).toString(),
    );
    expect(r.status).toBe(200);
    expect((await refresh(rotated.json.refresh_token)).json.error).toBe("invalid_grant");
  });
});

describe("the client and a revoked family", () => {
  const client = (accessToken: string, refreshToken: string) =>
    new VkLiveClient({
      url: h.base,
      clientId: w.clientId,
      clientSecret: w.secret,
      redirectUri: w.redirectUri,
      retries: 0,
      tokens: { accessToken, refreshToken, expiresAt: Date.now() + 3600_000, tokenType: "Bearer" },
    });
  const refreshes = () => h.emu.admin.stats().tokenRequests.refresh_token ?? 0;

  it("a revoked family → AuthError(invalid_grant), one refresh for parallel callers, no refresh loop", async () => {
    const first = await exchange(await newCode(w.viewer));
    const c = client(first.json.access_token, first.json.refresh_token);
    expect((await c.currentUser()).user.id).toBe(w.viewer);
    // The client's tokens rotate once (single flight for 10 parallel callers) …
    const before = refreshes();
    await c.refresh();
    expect(refreshes() - before).toBe(1);
    // … then someone replays the refresh token the client already rotated away.
    expect((await refresh(first.json.refresh_token)).json.error).toBe("invalid_grant");

    const start = refreshes();
    const results = await Promise.allSettled(Array.from({ length: 10 }, () => c.currentUser()));
    for (const r of results) {
      expect(r.status).toBe("rejected");
      const reason = (r as PromiseRejectedResult).reason;
      expect(reason).toBeInstanceOf(AuthError);
    }
    // One refresh attempt (refused) for all ten callers …
    expect(refreshes() - start).toBe(1);
    // … the refused tokens were cleared (issue 18 item 1), so later calls fail at once asking
    // for a new login: no refresh request per call, no loop.
    await expect(c.currentUser()).rejects.toMatchObject({
      code: "unauthorized",
      message: expect.stringContaining("log in again"),
    });
    await expect(c.refresh()).rejects.toBeInstanceOf(AuthError);
    expect(refreshes() - start).toBe(1);

    // A new login revives the client.
    const again = await c.exchangeCode(await newCode(w.viewer), {});
    expect(again.accessToken).toBeTruthy();
    expect((await c.currentUser()).user.id).toBe(w.viewer);
  });

  it("single-flight refresh still works for a healthy family (20 parallel callers, one rotation)", async () => {
    const first = await exchange(await newCode(w.viewer));
    const c = new VkLiveClient({
      url: h.base,
      clientId: w.clientId,
      clientSecret: w.secret,
      redirectUri: w.redirectUri,
      retries: 0,
      tokens: {
        accessToken: first.json.access_token,
        refreshToken: first.json.refresh_token,
        // Due for renewal: every caller wants a refresh at once.
        expiresAt: Date.now() + 1000,
        tokenType: "Bearer",
      },
    });
    const before = refreshes();
    const r = await Promise.all(Array.from({ length: 20 }, () => c.currentUser()));
    expect(r.every((x) => x.user.id === w.viewer)).toBe(true);
    expect(refreshes() - before).toBe(1);
    // The family survived: the rotated refresh token is the one the client holds.
    expect(await works(first.json.access_token)).toBe(401);
    expect((await c.currentUser()).user.id).toBe(w.viewer);
  });
});
