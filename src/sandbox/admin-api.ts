/**
 * The generic part of the sandbox admin API on the console port: JSON errors for every route
 * under it, `GET /_sandbox/health`, and a plain page listing the faces and every route mounted on
 * the console app. The platform routes (`/_sandbox/max/…`, `/_sandbox/maxim/…` …) are mounted by
 * each emulator plugin's `registerAdmin`. The minimum outside scripts rely on is DESIGN.md
 * "Sandbox contract"; docs/sandbox.md lists every call.
 */
import type { FastifyError, FastifyInstance, FastifyReply } from "fastify";
import type { Logger } from "../core/log.js";
import { ADMIN_CALLS, type AdminCallDoc } from "./console/api-catalogue.js";

/** Where each face of the sandbox listens (the `--json` contract line, in this key order). */
export interface SandboxUrls {
  console: string;
  max: string;
  maxim: string;
  webqq: string;
  vklive: string;
  /** The MAX Bot API (base+5): an extension of the contract's five faces. */
  maxbot: string;
}

export interface AdminFace {
  /** `console` or a platform name (a key of `urls()`). */
  id: string;
  title: string;
}

export interface AdminApiDeps {
  urls: () => Readonly<Record<string, string>>;
  /** The faces in port order, for the index page. */
  faces: readonly AdminFace[];
  log: Logger;
  /** Where the plain page listing endpoints and calls is served (default `/`; the web console takes `/`). */
  indexPath?: string;
}

function sendError(reply: FastifyReply, status: number, message: string): FastifyReply {
  return reply.code(status).send({ error: message });
}

/** The 4xx status an error carries (Fastify's `statusCode`, or an admin error's `status`). */
function clientStatus(err: unknown): number | undefined {
  for (const key of ["statusCode", "status"] as const) {
    const v = (err as Record<string, unknown>)[key];
    if (typeof v === "number" && v >= 400 && v < 500) return v;
  }
  return undefined;
}

/**
 * Mounts the generic admin API on the console app. Call it before any plugin's `registerAdmin`
 * so the index page sees their routes.
 */
export function registerAdminApi(app: FastifyInstance, deps: AdminApiDeps): void {
  const routes: { method: string; url: string; doc?: AdminCallDoc }[] = [];
  app.addHook("onRoute", (route) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    for (const method of methods) {
      // Fastify adds a HEAD twin to every GET; the page lists what one calls.
      // A plugin may describe a route itself: `config: {doc: {what, query?, body?, answer}}`.
      const doc = (route.config as { doc?: AdminCallDoc } | undefined)?.doc;
      if (method !== "HEAD" && route.url.startsWith("/_sandbox/"))
        routes.push({ method, url: route.url, ...(doc ? { doc } : {}) });
    }
  });

  app.setErrorHandler((err: FastifyError | Error, _req, reply) => {
    // Bad JSON, empty bodies, wrong content types, too large bodies, and each admin's own 4xx.
    const status = clientStatus(err);
    if (status !== undefined) return sendError(reply, status, err.message);
    deps.log.error({ err }, "sandbox admin API failed");
    return sendError(reply, 500, "internal error");
  });
  app.setNotFoundHandler((req, reply) =>
    sendError(reply, 404, `no such endpoint: ${req.method} ${req.url.split("?")[0]}`),
  );

  app.get("/_sandbox/health", async () => ({ ok: true }));

  app.get(deps.indexPath ?? "/", async (req, reply) => {
    const urls = deps.urls();
    const faces = deps.faces.map((f) => ({ id: f.id, title: f.title, url: urls[f.id] ?? "" }));
    const calls = adminCalls(routes);
    if (/\bapplication\/json\b/.test(req.headers.accept ?? "")) return { faces, calls };
    return reply.type("text/html; charset=utf-8").send(indexPage(faces, calls));
  });
}

/** One mounted admin route with what it takes and answers (ADMIN_CALLS). */
export interface AdminCall extends Partial<AdminCallDoc> {
  method: string;
  path: string;
}

/** The mounted routes in path order, each with its description (none for a route not in ADMIN_CALLS). */
export function adminCalls(
  routes: readonly { method: string; url: string; doc?: AdminCallDoc }[],
): AdminCall[] {
  return [...routes]
    .sort((a, b) => a.url.localeCompare(b.url) || a.method.localeCompare(b.method))
    .map((r) => ({ method: r.method, path: r.url, ...(r.doc ?? ADMIN_CALLS[`${r.method} ${r.url}`]) }));
}

const escapeHtml = (s: string) =>
  s.replace(
    /[&<>"']/g,
    (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c] ?? c,
  );

/** A plain page that says what runs where and what each admin call takes and answers. */
function indexPage(faces: { title: string; url: string }[], calls: AdminCall[]): string {
  const td = (text: string, cls = "") => `<td${cls ? ` class="${cls}"` : ""}>${escapeHtml(text)}</td>`;
  const fields = (c: AdminCall) =>
    [c.query ? `query: ${c.query}` : "", c.body ? `body: ${c.body}` : ""].filter(Boolean).join("\n");
  const row = (c: AdminCall) =>
    `<tr>${td(c.method, "m")}${td(c.path, "m")}${td(c.what ?? "(not described: see docs/sandbox.md)")}${td(fields(c), "m")}${td(c.answer ?? "", "m")}</tr>`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Switchboard sandbox: admin API</title>
<style>body{font:15px/1.5 system-ui,sans-serif;max-width:90rem;margin:2rem auto;padding:0 1rem}
table{border-collapse:collapse}th,td{border:1px solid #ccc;padding:.3rem .6rem;vertical-align:top;text-align:left}
.m{font-family:ui-monospace,monospace;font-size:13px;white-space:pre-wrap}</style></head>
<body><h1>Switchboard sandbox: admin API</h1>
<p>Local emulators of the messaging platforms. The web console is at <a href="/">/</a>.</p>
<h2>Endpoints</h2><table>${faces.map((f) => `<tr>${td(f.title)}${td(f.url, "m")}</tr>`).join("")}</table>
<h2>Admin calls</h2>
<p>JSON in, JSON out; <code>?</code> marks an optional field, <code>=x</code> its default. Errors answer
<code>{"error"}</code> with a 4xx status. The same list as JSON: this URL with
<code>Accept: application/json</code>. Examples: <code>docs/sandbox.md</code>, <code>docs/console.md</code>.</p>
<table><thead><tr><th>method</th><th>path</th><th>what</th><th>query / body</th><th>answer</th></tr></thead>
<tbody>${calls.map(row).join("")}</tbody></table>
</body></html>
`;
}
