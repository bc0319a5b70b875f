/**
 * The console port's door: the admin API can read SMS codes, act as any user and read every
 * inbox, so a web page must never reach it. Two checks run before every route (admin, console,
 * live feed, static files, 404s):
 *
 * - Host: only loopback names (`localhost`, `127.0.0.0/8`, `[::1]`), the bound host, the host of
 *   the printed URL and hosts named with `--allowed-hosts` are served. This defeats DNS
 *   rebinding, where an attacker's name starts resolving to 127.0.0.1 and the page then reads
 *   same-"origin" answers.
 * - Cross-site: a request with an `Origin` other than the console's own (http://<allowed host>:
 *   <console port>), or with `Sec-Fetch-Site: cross-site`, is refused, GETs included. Scripts
 *   (curl, fetch in Node, tests) send no Origin and are served as before.
 *
 * Refusals answer 403 with the admin API's `{error}` body.
 */
import { isIP } from "node:net";
import type { FastifyInstance } from "fastify";

export interface HostGuardOptions {
  /** The interface the console listens on (`--host`). */
  boundHost: string;
  /** The host of the printed URLs (a wildcard bind prints 127.0.0.1 / [::1]). */
  shownHost: string;
  /** Extra host names or addresses (`--allowed-hosts`), with or without a port. */
  allowedHosts?: readonly string[];
  /** The console's port, once it listens (origins must name it). */
  port: () => number | undefined;
}

/** `host` or `host:port` or `[v6]:port` → lower-case host name without brackets, and the port. */
export function splitHost(value: string): { name: string; port?: string } {
  const v = value.trim().toLowerCase();
  if (v.startsWith("[")) {
    const end = v.indexOf("]");
    if (end < 0) return { name: v };
    const rest = v.slice(end + 1);
    return { name: v.slice(1, end), ...(rest.startsWith(":") ? { port: rest.slice(1) } : {}) };
  }
  const colons = v.split(":").length - 1;
  if (colons === 1) {
    const [name, port] = v.split(":") as [string, string];
    return { name, port };
  }
  // A bare IPv6 address (as given to --host) or a plain name.
  return { name: v.replace(/\.$/, "") };
}

/** Loopback names a rebinding attacker can't own. */
export function isLoopbackName(name: string): boolean {
  if (name === "localhost") return true;
  if (isIP(name) === 4) return name.startsWith("127.");
  if (isIP(name) === 6) return name === "::1" || name === "0:0:0:0:0:0:0:1";
  return false;
}

const shorten = (s: string) => (s.length > 100 ? `${s.slice(0, 100)}…` : s);

/** The check itself, for the hook and for tests. */
export function createHostGuard(options: HostGuardOptions) {
  const named = new Set<string>();
  const exact = new Set<string>();
  const add = (value: string) => {
    if (!value.trim()) return;
    const { name, port } = splitHost(value);
    if (port !== undefined) exact.add(`${name}:${port}`);
    else named.add(name);
  };
  for (const h of [options.boundHost, options.shownHost, ...(options.allowedHosts ?? [])]) add(h);

  const hostAllowed = (host: string): boolean => {
    const { name, port } = splitHost(host);
    if (isLoopbackName(name) || named.has(name)) return true;
    return port !== undefined && exact.has(`${name}:${port}`);
  };

  /** An `Origin` of the console page itself: http(s)://<allowed host>:<console port>. */
  const originAllowed = (origin: string): boolean => {
    let url: URL;
    try {
      url = new URL(origin);
    } catch {
      return false;
    }
    if (url.protocol !== "http:" && url.protocol !== "https:") return false;
    // Exactly scheme://host[:port], as browsers send it: no path, no credentials.
    // (URL drops a default port: http://x:80 is http://x.)
    const given = origin.trim().toLowerCase();
    const parsed = `${url.protocol}//${url.host}`;
    if (given !== parsed && given.replace(/:(80|443)$/, "") !== parsed) return false;
    const port = url.port || (url.protocol === "https:" ? "443" : "80");
    if (port !== String(options.port())) return false;
    return hostAllowed(url.host);
  };

  /** Why the request is refused, or undefined when it may pass. */
  return (headers: Record<string, string | string[] | undefined>): string | undefined => {
    const host = headers.host;
    if (typeof host === "string" && !hostAllowed(host)) {
      return `host ${JSON.stringify(shorten(host))} is not allowed: the sandbox answers only loopback names (localhost, 127.0.0.1, [::1]) and hosts given with --allowed-hosts`;
    }
    const origin = headers.origin;
    if (origin !== undefined) {
      const value = Array.isArray(origin) ? origin.join(",") : origin;
      if (!originAllowed(value)) {
        return `origin ${JSON.stringify(shorten(value))} is not allowed: the admin API and console answer only the console page itself and scripts without an Origin`;
      }
    }
    if (headers["sec-fetch-site"] === "cross-site") {
      return "cross-site requests are not allowed: the admin API and console answer only the console page itself and scripts";
    }
    return undefined;
  };
}

/** Installs the guard as the first hook of the console app (before any route is added). */
export function registerHostGuard(app: FastifyInstance, options: HostGuardOptions): void {
  const refuse = createHostGuard(options);
  app.addHook("onRequest", (req, reply, done) => {
    const why = refuse(req.headers);
    if (why === undefined) return done();
    reply.code(403).header("cache-control", "no-store").send({ error: why });
  });
}
