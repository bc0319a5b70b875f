import { createReadStream, existsSync, readFileSync } from "node:fs";
import type { ServerResponse } from "node:http";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { FastifyInstance, FastifyReply } from "fastify";
import { z } from "zod";
import { ConsoleError, type ConsoleProvider, parseOr400 } from "../../core/emulator/console.js";
import { ConsoleBus, type LiveEvent, type TrafficFilter } from "./bus.js";

/** A platform the console lists but whose provider is not there yet (shown greyed out). */
export interface PlannedPlatform {
  id: string;
  title: string;
  url: () => string;
}

export interface ConsoleOptions {
  providers: ConsoleProvider[];
  planned?: PlannedPlatform[];
  /** Extra data the page shows in its header (endpoint URLs). */
  urls: () => Record<string, string>;
  /** SSE keepalive comment interval (proxies and browsers drop silent streams). */
  keepaliveMs?: number;
  /**
   * Record traffic from the start, with no page open (default true): a page opened later shows
   * what happened before it. `POST /_sandbox/console/traffic/record {on}` switches it later.
   */
  recordTraffic?: boolean;
}

export interface ConsoleHandle {
  bus: ConsoleBus;
}

const ASSETS: Record<string, string> = {
  "console.js": "text/javascript; charset=utf-8",
  "console.css": "text/css; charset=utf-8",
  "index.html": "text/html; charset=utf-8",
};

/** The page's files: next to this module in the sources; a build copies `static/` beside it. */
function staticDir(): string {
  const here = fileURLToPath(new URL("./static/", import.meta.url));
  if (existsSync(here)) return here;
  // dist/sandbox/console → the package's src/ (when the sources are shipped next to dist).
  return fileURLToPath(new URL("../../../src/sandbox/console/static/", import.meta.url));
}

const MessagesQuery = z.object({
  as: z.string().min(1).optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
});
const SendBody = z
  .object({
    as: z.union([z.string().min(1), z.number()]).transform(String),
    chatId: z
      .union([z.string().min(1), z.number()])
      .transform(String)
      .optional(),
    to: z
      .union([z.string().min(1), z.number()])
      .transform(String)
      .optional(),
    text: z.string().min(1, "text is required").max(4000),
  })
  .refine((b) => (b.chatId === undefined) !== (b.to === undefined), {
    message: "give exactly one of chatId and to",
  });
const CreateChatBody = z.object({
  as: z.union([z.string().min(1), z.number()]).transform(String),
  kind: z.enum(["group", "channel"]).default("group"),
  title: z.string().trim().min(1, "title is required").max(200),
  members: z
    .array(z.union([z.string().min(1), z.number()]).transform(String))
    .max(10_000)
    .default([]),
});
const ConfirmBody = z.object({ as: z.union([z.string().min(1), z.number()]).transform(String) });
const TrafficQuery = z.object({
  platform: z.string().optional(),
  account: z.string().optional(),
  opcode: z.string().optional(),
  path: z.string().optional(),
  dir: z.enum(["in", "out"]).optional(),
  after: z.coerce.number().int().min(0).optional(),
  limit: z.coerce.number().int().min(1).max(5000).default(500),
});
const RecordBody = z.object({ on: z.boolean() });

/** A query or body (absent = `{}`) read with `schema`, or a 400. */
function parse<T extends z.ZodType>(schema: T, value: unknown): z.output<T> {
  return parseOr400(schema, value ?? {});
}

/**
 * Mounts the web console on the console port: the page at `/` (static files under
 * `/console/`), its JSON calls under `/_sandbox/console/`, and the live feed (SSE) at
 * `/_sandbox/console/events`. Each platform comes in through its provider (provider.ts).
 */
export function registerConsole(app: FastifyInstance, options: ConsoleOptions): ConsoleHandle {
  const providers = new Map(options.providers.map((p) => [p.id, p]));
  const bus = new ConsoleBus((on) => {
    for (const p of providers.values()) p.setTraffic?.(on);
  });
  for (const p of providers.values()) p.attach?.(bus.sink(p.id));
  // After attach: a provider's capture switch works once it has its sink.
  bus.setRecording(options.recordTraffic ?? true);
  const dir = staticDir();
  const streams = new Set<ServerResponse>();
  const keepaliveMs = options.keepaliveMs ?? 15_000;

  const provider = (id: string): ConsoleProvider => {
    const p = providers.get(id);
    if (!p) throw new ConsoleError(404, `no console provider for platform ${id}`);
    return p;
  };
  /** A provider method, or 404 naming what the platform doesn't offer. */
  const need = <K extends keyof ConsoleProvider>(id: string, method: K): NonNullable<ConsoleProvider[K]> => {
    const p = provider(id);
    const fn = p[method];
    if (typeof fn !== "function")
      throw new ConsoleError(404, `${p.title} has no ${String(method)} in the console yet`);
    return (fn as (...args: unknown[]) => unknown).bind(p) as NonNullable<ConsoleProvider[K]>;
  };
  const fail = (reply: FastifyReply, err: unknown) => {
    if (err instanceof ConsoleError) return reply.code(err.status).send({ error: err.message });
    throw err;
  };
  type Params = { platform: string; id: string };
  /** Route helper: ConsoleErrors become `{error}` with their status; anything else goes to the admin API's handler. */
  const route =
    (fn: (req: { params: Params; query: unknown; body: unknown }, reply: FastifyReply) => unknown) =>
    async (req: { params: unknown; query: unknown; body: unknown }, reply: FastifyReply) => {
      try {
        return await fn({ params: req.params as Params, query: req.query, body: req.body }, reply);
      } catch (err) {
        return fail(reply, err);
      }
    };

  app.addHook("preClose", async () => {
    for (const res of streams) res.end();
    streams.clear();
    bus.close();
  });

  // ── page ──
  const sendAsset = (name: string, reply: FastifyReply) => {
    const type = ASSETS[name];
    if (!type) return reply.code(404).send({ error: `no console asset ${name}` });
    let text = readFileSync(join(dir, name), "utf8");
    if (name === "index.html") text = text.replace("<!--ENDPOINTS-->", endpointsHtml(options));
    return reply.type(type).header("cache-control", "no-store").send(text);
  };
  app.get("/", async (_req, reply) => sendAsset("index.html", reply));
  app.get<{ Params: { name: string } }>("/console/:name", async (req, reply) =>
    sendAsset(req.params.name, reply),
  );

  // ── what is there ──
  app.get("/_sandbox/console/platforms", async () => ({
    platforms: [
      ...[...providers.values()].map((p) => ({
        id: p.id,
        title: p.title,
        url: p.url(),
        available: true,
        features: FEATURES.filter((f) => typeof p[f] === "function"),
        chatKinds: typeof p.createChat === "function" ? (p.chatKinds ?? ["group", "channel"]) : [],
        faults: p.faultActions?.() ?? [],
      })),
      ...(options.planned ?? []).map((p) => ({
        id: p.id,
        title: p.title,
        url: p.url(),
        available: false,
        features: [],
        chatKinds: [],
        faults: [],
      })),
    ],
    traffic: { capturing: bus.isCapturing, recording: bus.isRecording },
  }));

  // ── accounts, chats, messages ──
  app.get(
    "/_sandbox/console/:platform/accounts",
    route(({ params }) => ({ accounts: need(params.platform, "accounts")() })),
  );
  app.get(
    "/_sandbox/console/:platform/chats",
    route(({ params, query }) => {
      const { as } = parse(z.object({ as: z.string().min(1).optional() }), query);
      return { chats: need(params.platform, "chats")(as) };
    }),
  );
  app.get(
    "/_sandbox/console/:platform/chats/:id/messages",
    route(({ params, query }) => {
      const q = parse(MessagesQuery, query);
      return { messages: need(params.platform, "messages")(params.id, q) };
    }),
  );
  app.post(
    "/_sandbox/console/:platform/messages",
    route(({ params, body }) => need(params.platform, "send")(parse(SendBody, body))),
  );
  app.post(
    "/_sandbox/console/:platform/chats",
    route(({ params, body }) => need(params.platform, "createChat")(parse(CreateChatBody, body))),
  );

  // ── inbox ──
  app.get("/_sandbox/console/inbox", async () => ({
    items: [...providers.values()].flatMap((p) => p.inbox?.() ?? []).sort((a, b) => b.time - a.time),
  }));
  app.post(
    "/_sandbox/console/:platform/inbox/:id/confirm",
    route(({ params, body }) => {
      need(params.platform, "confirm")(params.id, parse(ConfirmBody, body).as);
      return { ok: true };
    }),
  );

  // ── files ──
  app.get(
    "/_sandbox/console/:platform/files",
    route(({ params }) => ({ files: need(params.platform, "files")() })),
  );
  app.get(
    "/_sandbox/console/:platform/files/:id",
    route(({ params }, reply) => {
      const f = need(params.platform, "file")(params.id);
      if (!f || ("path" in f && !existsSync(f.path)))
        throw new ConsoleError(404, `no stored file ${params.id}`);
      // Shown inline, but never as a page of this origin: a stored HTML file must not run here.
      return reply
        .type(f.mime || "application/octet-stream")
        .header("content-length", "path" in f ? f.size : f.bytes.byteLength)
        .header("content-disposition", `inline; filename*=UTF-8''${encodeURIComponent(f.name)}`)
        .header("content-security-policy", "sandbox; default-src 'none'; img-src 'self'; media-src 'self'")
        .header("x-content-type-options", "nosniff")
        .send(
          "path" in f
            ? createReadStream(f.path)
            : Buffer.from(f.bytes.buffer, f.bytes.byteOffset, f.bytes.byteLength),
        );
    }),
  );

  // ── generic tables, faults ──
  app.get(
    "/_sandbox/console/:platform/tables",
    route(({ params }) => ({ tables: need(params.platform, "tables")() })),
  );
  app.post(
    "/_sandbox/console/:platform/faults",
    route(({ params, body }) => need(params.platform, "applyFault")(body)),
  );

  // ── traffic inspector ──
  app.get(
    "/_sandbox/console/traffic",
    route(({ query }) => {
      const q: TrafficFilter = parse(TrafficQuery, query);
      return { capturing: bus.isCapturing, records: bus.trafficLog(q) };
    }),
  );
  app.delete("/_sandbox/console/traffic", async () => {
    bus.clearTraffic();
    return { ok: true };
  });
  app.post(
    "/_sandbox/console/traffic/record",
    route(({ body }) => {
      bus.setRecording(parse(RecordBody, body).on);
      return { ok: true, capturing: bus.isCapturing };
    }),
  );

  // ── live feed ──
  app.get("/_sandbox/console/events", (req, reply) => {
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, {
      "content-type": "text/event-stream; charset=utf-8",
      "cache-control": "no-store",
      connection: "keep-alive",
      "x-accel-buffering": "no",
    });
    res.write(`retry: 1000\nevent: hello\ndata: ${JSON.stringify({ time: Date.now() })}\n\n`);
    const write = (e: LiveEvent) => {
      res.write(`event: ${e.type}\ndata: ${JSON.stringify({ platform: e.platform, ...wrap(e.data) })}\n\n`);
    };
    streams.add(res);
    const off = bus.subscribe(write);
    const timer = setInterval(() => res.write(`: keepalive\n\n`), keepaliveMs);
    timer.unref();
    const done = () => {
      clearInterval(timer);
      off();
      streams.delete(res);
    };
    req.raw.on("close", done);
    res.on("close", done);
  });

  return { bus };
}

const FEATURES = [
  "accounts",
  "chats",
  "messages",
  "send",
  "createChat",
  "inbox",
  "confirm",
  "files",
  "tables",
  "applyFault",
] as const satisfies readonly (keyof ConsoleProvider)[];

function wrap(data: unknown): Record<string, unknown> {
  return data && typeof data === "object" && !Array.isArray(data)
    ? (data as Record<string, unknown>)
    : { data };
}

const escapeHtml = (s: string) =>
  s.replace(
    /[&<>"']/g,
    (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c] ?? c,
  );

/** Server-rendered endpoint list, so the page says what runs where even without JavaScript. */
function endpointsHtml(options: ConsoleOptions): string {
  const rows = Object.entries(options.urls())
    .map(([k, v]) => `<tr><th>${escapeHtml(k)}</th><td><code>${escapeHtml(v)}</code></td></tr>`)
    .join("");
  return `<table class="endpoints">${rows}</table>`;
}
