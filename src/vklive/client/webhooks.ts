/**
 * Webhook receiver: verifies `signature = sha256_hex(event + signature_key)`, answers the
 * documented `{id, status}` (ok | already_processed | not_linked | invalid_signature |
 * unprocessable) and de-duplicates event ids. Framework neutral (`handle(body, contentType)`),
 * plus a Node `http` listener.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { WebhookEvent, type WebhookReply, type WebhookStatus } from "../protocol/index.js";

export function signWebhook(event: string, signatureKey: string): string {
  return createHash("sha256")
    .update(event + signatureKey)
    .digest("hex");
}

export function verifyWebhookSignature(event: string, signature: string, signatureKey: string): boolean {
  const want = Buffer.from(signWebhook(event, signatureKey), "utf8");
  const got = Buffer.from(signature.trim().toLowerCase(), "utf8");
  return want.length === got.length && timingSafeEqual(want, got);
}

/** Remembers processed event ids (bounded; oldest forgotten first). */
export interface EventIdStore {
  has(id: string): boolean | Promise<boolean>;
  add(id: string): void | Promise<void>;
}

export class MemoryEventIdStore implements EventIdStore {
  readonly #ids = new Set<string>();
  constructor(readonly capacity = 10_000) {}
  has(id: string): boolean {
    return this.#ids.has(id);
  }
  add(id: string): void {
    this.#ids.add(id);
    if (this.#ids.size > this.capacity) {
      const first = this.#ids.values().next().value;
      if (first !== undefined) this.#ids.delete(first);
    }
  }
}

export interface WebhookReceiverOptions {
  signatureKey: string;
  onEvent: (event: WebhookEvent) => void | Promise<void>;
  /** Is this VK user linked to your app? Unlinked → `not_linked` (the event is not handled). */
  isLinked?: (userId: number) => boolean | Promise<boolean>;
  seen?: EventIdStore;
}

export interface WebhookResult {
  /** HTTP status to answer. */
  status: number;
  /** JSON reply body; undefined when the handler failed (answer 500 so the sender retries). */
  reply?: WebhookReply;
  error?: unknown;
}

const MAX_BODY = 1024 * 1024;

/** Fields of the POST: form (`event=…&signature=…`) or JSON `{event, signature}`. */
function fields(body: string, contentType: string | undefined): { event?: string; signature?: string } {
  const type = (contentType ?? "").toLowerCase();
  if (type.includes("application/json") || body.trimStart().startsWith("{")) {
    try {
      const v = JSON.parse(body) as Record<string, unknown>;
      const event =
        typeof v.event === "string" ? v.event : v.event !== undefined ? JSON.stringify(v.event) : undefined;
      return { event, signature: typeof v.signature === "string" ? v.signature : undefined };
    } catch {
      return {};
    }
  }
  const p = new URLSearchParams(body);
  return { event: p.get("event") ?? undefined, signature: p.get("signature") ?? undefined };
}

export class WebhookReceiver {
  readonly #o: WebhookReceiverOptions;
  readonly #seen: EventIdStore;
  readonly #inflight = new Map<string, Promise<WebhookResult>>();

  constructor(options: WebhookReceiverOptions) {
    this.#o = options;
    this.#seen = options.seen ?? new MemoryEventIdStore();
  }

  async handle(body: string | Uint8Array, contentType?: string): Promise<WebhookResult> {
    const text = typeof body === "string" ? body : Buffer.from(body).toString("utf8");
    const reply = (id: string, status: WebhookStatus, http = 200): WebhookResult => ({
      status: http,
      reply: { id, status },
    });
    if (text.length > MAX_BODY) return reply("", "unprocessable", 400);
    const f = fields(text, contentType);
    if (f.event === undefined || f.signature === undefined) return reply("", "unprocessable", 400);
    let id = "";
    try {
      const raw = JSON.parse(f.event) as { id?: unknown };
      if (typeof raw.id === "string") id = raw.id;
    } catch {
      // judged below
    }
    if (!verifyWebhookSignature(f.event, f.signature, this.#o.signatureKey))
      return reply(id, "invalid_signature", 403);
    let parsedJson: unknown;
    try {
      parsedJson = JSON.parse(f.event);
    } catch {
      return reply(id, "unprocessable", 400);
    }
    const parsed = WebhookEvent.safeParse(parsedJson);
    if (!parsed.success) return reply(id, "unprocessable", 400);
    const event = parsed.data;
    const running = this.#inflight.get(event.id);
    if (running) {
      const r = await running;
      return r.reply?.status === "ok" ? reply(event.id, "already_processed") : r;
    }
    // Registered before any await: a duplicate arriving meanwhile joins this run.
    const work = (async (): Promise<WebhookResult> => {
      if (await this.#seen.has(event.id)) return reply(event.id, "already_processed");
      if (this.#o.isLinked && !(await this.#o.isLinked(event.user_id))) return reply(event.id, "not_linked");
      try {
        await this.#o.onEvent(event);
      } catch (error) {
        return { status: 500, error };
      }
      await this.#seen.add(event.id);
      return reply(event.id, "ok");
    })();
    this.#inflight.set(event.id, work);
    try {
      return await work;
    } finally {
      this.#inflight.delete(event.id);
    }
  }

  /** A Node `http` request listener (POST only, 1 MB body limit). */
  listener(): (req: IncomingMessage, res: ServerResponse) => void {
    return (req, res) => {
      const answer = (r: WebhookResult) => {
        res.writeHead(r.status, { "content-type": "application/json" });
        res.end(r.reply ? JSON.stringify(r.reply) : JSON.stringify({ error: "internal_server_error" }));
      };
      if (req.method !== "POST") {
        res.writeHead(405, { allow: "POST" }).end();
        return;
      }
      const chunks: Buffer[] = [];
      let size = 0;
      let tooBig = false;
      req.on("data", (c: Buffer) => {
        size += c.length;
        if (size > MAX_BODY) tooBig = true;
        else chunks.push(c);
      });
      req.on("end", () => {
        if (tooBig) return answer({ status: 413, reply: { id: "", status: "unprocessable" } });
        this.handle(Buffer.concat(chunks), req.headers["content-type"]).then(answer, () =>
          answer({ status: 500 }),
        );
      });
      req.on("error", () => res.destroy());
    };
  }
}

/** Starts a Node http server for the receiver; resolves with its URL and a close function. */
export async function startWebhookServer(
  receiver: WebhookReceiver,
  port = 0,
  host = "127.0.0.1",
): Promise<{ url: string; server: Server; close(): Promise<void> }> {
  const server = createServer(receiver.listener());
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => resolve());
  });
  const a = server.address() as AddressInfo;
  return {
    url: `http://${host}:${a.port}/`,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
