/**
 * `/_sandbox/api` describes every admin route that is mounted (method, path, query / body fields,
 * answer), from src/sandbox/console/api-catalogue.ts, and nothing that isn't mounted.
 */
import Fastify from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { silentLogger } from "../../src/core/log.js";
import { registerAdminApi } from "../../src/sandbox/admin-api.js";
import { ADMIN_CALLS } from "../../src/sandbox/console/api-catalogue.js";
import { type Sandbox, startSandbox } from "../../src/sandbox/index.js";

interface Call {
  method: string;
  path: string;
  what?: string;
  query?: string;
  body?: string;
  answer?: string;
}

describe("/_sandbox/api", () => {
  let sb: Sandbox;
  let calls: Call[];

  beforeAll(async () => {
    sb = await startSandbox({ port: 0, data: null });
    const res = await fetch(`${sb.urls.console}/_sandbox/api`, { headers: { accept: "application/json" } });
    expect(res.headers.get("content-type")).toContain("application/json");
    const body = (await res.json()) as { faces: { id: string; url: string }[]; calls: Call[] };
    expect(body.faces.map((f) => f.id)).toEqual(["console", "max", "maxim", "webqq", "vklive", "maxbot"]);
    expect(body.faces.find((f) => f.id === "max")?.url).toBe(sb.urls.max);
    calls = body.calls;
  });
  afterAll(async () => {
    await sb?.close();
  });

  it("describes every mounted admin route, the console's included", () => {
    const undescribed = calls.filter((c) => !c.what || !c.answer).map((c) => `${c.method} ${c.path}`);
    expect(undescribed).toEqual([]);
    const mounted = new Set(calls.map((c) => `${c.method} ${c.path}`));
    expect(Object.keys(ADMIN_CALLS).filter((k) => !mounted.has(k))).toEqual([]);
    expect(mounted).toContain("GET /_sandbox/console/traffic");
    expect(calls.find((c) => c.path === "/_sandbox/max/messages")).toMatchObject({
      method: "POST",
      body: "{fromUserId, chatId | toUserId, text}",
      answer: "{chatId, messageId}",
    });
    expect(calls.find((c) => c.path === "/_sandbox/max/sms")).toMatchObject({ query: "phone" });
  });

  it("the HTML page shows each call's fields and answer, and no stale words", async () => {
    const html = await (await fetch(`${sb.urls.console}/_sandbox/api`)).text();
    expect(html).not.toMatch(/not built|not described/i);
    expect(html).toContain("<th>query / body</th>");
    expect(html).toContain("body: {ownerId, url (A-Z a-z 0-9 _ . -)}");
    expect(html).toContain(`<td>POST</td>`.replace("<td>", '<td class="m">'));
    expect(html).toContain('<a href="/">/</a>');
    // Every route appears once in the table.
    for (const c of calls) expect(html).toContain(`>${c.path.replaceAll("&", "&amp;")}</td>`);
  });
});

describe("/_sandbox/api with a plugin's own route", () => {
  it("shows the description a route carries in its config, and marks a route without one", async () => {
    const app = Fastify();
    registerAdminApi(app, { urls: () => ({}), faces: [], log: silentLogger, indexPath: "/_sandbox/api" });
    app.post(
      "/_sandbox/alpha/notes",
      { config: { doc: { what: "add a note", body: "{text}", answer: "{id}" } } },
      async () => ({ id: 1 }),
    );
    app.get("/_sandbox/alpha/bare", async () => ({}));
    const base = await app.listen({ port: 0, host: "127.0.0.1" });
    try {
      const { calls } = (await (
        await fetch(`${base}/_sandbox/api`, { headers: { accept: "application/json" } })
      ).json()) as { calls: Call[] };
      expect(calls.find((c) => c.path === "/_sandbox/alpha/notes")).toEqual({
        method: "POST",
        path: "/_sandbox/alpha/notes",
        what: "add a note",
        body: "{text}",
        answer: "{id}",
      });
      expect(calls.find((c) => c.path === "/_sandbox/alpha/bare")).toEqual({
        method: "GET",
        path: "/_sandbox/alpha/bare",
      });
      const html = await (await fetch(`${base}/_sandbox/api`)).text();
      expect(html).toContain("(not described: see docs/sandbox.md)");
    } finally {
      await app.close();
    }
  });
});
