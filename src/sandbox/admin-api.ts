/**
 * The generic part of the sandbox admin API on the console port: JSON errors for every route
 * under it, `GET /_sandbox/health`, and a plain page listing the faces and every route mounted on
 * the console app. The platform routes (`/_sandbox/max/…`, `/_sandbox/maxim/…` …) are mounted by
 * each emulator plugin's `registerAdmin`. The minimum outside scripts rely on is DESIGN.md
 * "Sandbox contract"; docs/sandbox.md lists every call.
 */
import type { FastifyError, FastifyInstance, FastifyReply } from "fastify";
import type { Logger } from "../core/log.js";

/** Where each face of the sandbox listens (the `--json` contract line, in this key order). */
export interface SandboxUrls {
  console: string;
  max: string;
  maxim: string;
  webqq: string;
  vklive: string;
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
  const routes: { method: string; url: string }[] = [];
  app.addHook("onRoute", (route) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    for (const method of methods) {
      // Fastify adds a HEAD twin to every GET; the page lists what one calls.
      if (
        method !== "HEAD" &&
        route.url.startsWith("/_sandbox/") &&
        !route.url.startsWith("/_sandbox/console/")
      )
        routes.push({ method, url: route.url });
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

  app.get(deps.indexPath ?? "/", async (_req, reply) => {
    const urls = deps.urls();
    const faces = deps.faces.map((f) => [f.title, urls[f.id] ?? ""] as [string, string]);
    const calls = [...routes].sort((a, b) => a.url.localeCompare(b.url) || a.method.localeCompare(b.method));
    return reply.type("text/html; charset=utf-8").send(indexPage(faces, calls));
  });
}

const escapeHtml = (s: string) =>
  s.replace(
    /[&<>"']/g,
    (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c] ?? c,
  );

/** A plain page that says what runs where and which admin calls there are. */
function indexPage(faces: [string, string][], calls: { method: string; url: string }[]): string {
  const tr = (cells: string[]) => `<tr>${cells.map((c) => `<td>${escapeHtml(c)}</td>`).join("")}</tr>`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Switchboard sandbox</title>
<style>body{font:15px/1.5 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem}
table{border-collapse:collapse}td{border:1px solid #ccc;padding:.3rem .6rem;vertical-align:top}
td:nth-child(2){font-family:ui-monospace,monospace}</style></head>
<body><h1>Switchboard sandbox</h1>
<p>Local emulators of the messaging platforms; the web console is at <code>/</code>.</p>
<h2>Endpoints</h2><table>${faces.map((r) => tr(r)).join("")}</table>
<h2>Admin API</h2><table>${calls.map((c) => tr([c.method, c.url])).join("")}</table>
<p>JSON in, JSON out; errors answer <code>{"error"}</code>. See <code>docs/sandbox.md</code> for
every flag, body and answer.</p>
</body></html>
`;
}
