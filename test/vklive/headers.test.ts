/**
 * No way in from a web page (issue 12 item 7): the OAuth consent window can't be framed
 * (clickjacking) and runs under a CSP that allows no script; every answer of the emulator —
 * JSON carrying user-written chat text included — is `nosniff`. The VK Live emulator serves no
 * uploaded files (stream, record and smile URLs point nowhere: 404 JSON), so there is no
 * media to type-check; those paths are covered here too.
 */
import { createHash } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bearer, type Harness, json, raw, startEmulator, type World, world } from "./harness.js";

let h: Harness;
let w: World;

beforeAll(async () => {
  h = await startEmulator();
  w = world(h);
});
afterAll(() => h.close());

const directives = (csp: string | null) =>
  new Map(
    (csp ?? "")
      .split(";")
      .map((d) => d.trim())
      .filter(Boolean)
      .map((d) => {
        const [name, ...values] = d.split(/\s+/);
        return [name as string, values] as const;
      }),
  );

describe("consent window", () => {
  it("is not frameable and allows no script (CSP, frame-ancestors 'none', X-Frame-Options)", async () => {
    const q = new URLSearchParams({
      client_id: w.clientId,
      redirect_uri: w.redirectUri,
      response_type: "code",
    });
    const page = await raw(h.base, "GET", `/app/oauth2/authorize?${q}`);
    expect(page.status).toBe(200);
    expect(page.headers.get("x-frame-options")).toBe("DENY");
    expect(page.headers.get("x-content-type-options")).toBe("nosniff");
    expect(page.headers.get("referrer-policy")).toBe("no-referrer");
    const csp = directives(page.headers.get("content-security-policy"));
    expect(csp.get("frame-ancestors")).toEqual(["'none'"]);
    expect(csp.get("default-src")).toEqual(["'none'"]);
    expect(csp.get("base-uri")).toEqual(["'none'"]);
    expect(csp.has("script-src")).toBe(false); // falls back to default-src 'none'
    expect(page.text).not.toContain("<script");
    // The one inline style is allowed by its hash, nothing else inline is.
    const style = /<style>([\s\S]*?)<\/style>/.exec(page.text)?.[1] ?? "";
    const hash = `'sha256-${createHash("sha256").update(style).digest("base64")}'`;
    expect(csp.get("style-src")).toEqual([hash]);
  });

  it("the error page and the decision's error page carry the same protection", async () => {
    const bad = await raw(h.base, "GET", "/app/oauth2/authorize?client_id=nope&redirect_uri=x");
    expect(bad.status).toBe(400);
    expect(directives(bad.headers.get("content-security-policy")).get("frame-ancestors")).toEqual(["'none'"]);
    expect(bad.headers.get("x-frame-options")).toBe("DENY");
    expect(bad.headers.get("x-content-type-options")).toBe("nosniff");
    const forged = await raw(
      h.base,
      "POST",
      "/app/oauth2/authorize",
      { "content-type": "application/x-www-form-urlencoded" },
      new URLSearchParams({ client_id: w.clientId, redirect_uri: w.redirectUri, consent: "x" }).toString(),
    );
    expect(forged.status).toBe(400);
    expect(directives(forged.headers.get("content-security-policy")).get("frame-ancestors")).toEqual([
      "'none'",
    ]);
  });
});

describe("API answers", () => {
  it("JSON with user-written text is nosniff with a CSP that runs nothing; so are errors and 404s", async () => {
    const html = "<html><script>alert(1)</script></html>";
    const sent = await raw(
      h.base,
      "POST",
      `/v1/chat/message/send?channel_url=${w.channelUrl}`,
      { ...bearer(w.viewerToken), ...json },
      JSON.stringify({ parts: [{ text: { content: html } }] }),
    );
    expect(sent.status).toBe(200);
    const read = await raw(
      h.base,
      "GET",
      `/v1/chat/messages?channel_url=${w.channelUrl}&limit=5`,
      bearer(w.viewerToken),
    );
    expect(read.text).toContain("alert(1)");
    for (const r of [
      sent,
      read,
      await raw(h.base, "GET", "/v1/nope", bearer(w.viewerToken)),
      await raw(h.base, "GET", "/records/x.m3u8"),
      await raw(h.base, "GET", "/smiles/x"),
      await raw(h.base, "POST", "/oauth/server/token", {}, ""),
    ]) {
      expect(r.headers.get("content-type")).toMatch(/^application\/json/);
      expect(r.headers.get("x-content-type-options")).toBe("nosniff");
      const csp = directives(r.headers.get("content-security-policy"));
      expect(csp.get("default-src")).toEqual(["'none'"]);
      expect(csp.get("frame-ancestors")).toEqual(["'none'"]);
    }
  });
});
