/**
 * Signed webhook delivery: for every event of a channel, each app its owner linked (a live
 * CodeFlow grant) with a registered URL gets a form POST `event=<json>&signature=<hex>` where
 * signature = sha256_hex(event + signature_key). Retries with exponential backoff until the
 * receiver answers a final status; every attempt is recorded in vklive_webhook_deliveries.
 */
import { createHash, randomUUID } from "node:crypto";
import { WebhookReply } from "../protocol/index.js";
import { type Emu, sec } from "./context.js";
import { SQL } from "./store/sql.js";

export function webhookSignature(event: string, signatureKey: string): string {
  return createHash("sha256")
    .update(event + signatureKey)
    .digest("hex");
}

interface Pending {
  rowId: number;
  url: string;
  body: string;
  attempt: number;
}

export interface DeliveryRecord {
  id: number;
  clientId: string;
  eventId: string;
  url: string;
  event: unknown;
  state: "pending" | "delivered" | "not_linked" | "rejected" | "failed";
  attempts: number;
  replyStatus: string | null;
  lastError: string | null;
}

export class WebhookDispatcher {
  readonly #emu: () => Emu;
  readonly #timers = new Set<NodeJS.Timeout>();
  readonly #inflight = new Set<AbortController>();
  #closed = false;

  constructor(emu: () => Emu) {
    this.#emu = emu;
  }

  /** Records one delivery per linked app inside the caller's transaction; sends after commit. */
  deliver(ownerId: number, type: string, data: unknown): void {
    const emu = this.#emu();
    const now = emu.now();
    const apps = emu.q(SQL.selectWebhookAppsOfUser).all(ownerId, now) as {
      client_id: string;
      webhook_url: string;
      signature_key: string;
    }[];
    for (const app of apps) {
      const eventId = randomUUID();
      const event = JSON.stringify({ id: eventId, time: sec(now), user_id: ownerId, type, data });
      const body = new URLSearchParams({
        event,
        signature: webhookSignature(event, app.signature_key),
      }).toString();
      const info = emu.q(SQL.insertDelivery).run(app.client_id, eventId, app.webhook_url, event, now);
      const pending: Pending = {
        rowId: Number(info.lastInsertRowid),
        url: app.webhook_url,
        body,
        attempt: 0,
      };
      emu.defer(() => this.#schedule(pending, 0));
    }
  }

  list(clientId?: string): DeliveryRecord[] {
    const rows = this.#emu()
      .q(SQL.selectDeliveries)
      .all(clientId ?? null, clientId ?? null) as {
      id: number;
      client_id: string;
      event_id: string;
      url: string;
      event: string;
      state: DeliveryRecord["state"];
      attempts: number;
      reply_status: string | null;
      last_error: string | null;
    }[];
    return rows.map((r) => ({
      id: r.id,
      clientId: r.client_id,
      eventId: r.event_id,
      url: r.url,
      event: JSON.parse(r.event),
      state: r.state,
      attempts: r.attempts,
      replyStatus: r.reply_status,
      lastError: r.last_error,
    }));
  }

  /** Re-sends one recorded delivery as is (same event id): receivers must de-duplicate. */
  redeliver(id: number): boolean {
    const emu = this.#emu();
    const r = emu.q(SQL.selectDeliveryById).get(id) as
      | { id: number; client_id: string; url: string; event: string }
      | undefined;
    if (!r) return false;
    const app = emu.q(SQL.selectAppSignatureKey).get(r.client_id) as { signature_key: string } | undefined;
    if (!app) return false;
    const body = new URLSearchParams({
      event: r.event,
      signature: webhookSignature(r.event, app.signature_key),
    }).toString();
    emu.q(SQL.markDeliveryPending).run(id);
    this.#schedule({ rowId: id, url: r.url, body, attempt: 0 }, 0);
    return true;
  }

  close(): void {
    this.#closed = true;
    for (const t of this.#timers) clearTimeout(t);
    this.#timers.clear();
    for (const c of this.#inflight) c.abort();
  }

  #schedule(p: Pending, delayMs: number): void {
    if (this.#closed) return;
    const t = setTimeout(() => {
      this.#timers.delete(t);
      void this.#attempt(p);
    }, delayMs);
    this.#timers.add(t);
  }

  async #attempt(p: Pending): Promise<void> {
    const emu = this.#emu();
    p.attempt += 1;
    const ctl = new AbortController();
    this.#inflight.add(ctl);
    const timer = setTimeout(() => ctl.abort(), 5000);
    let final: { state: DeliveryRecord["state"]; status: string } | undefined;
    let error: string | null = null;
    try {
      const res = await fetch(p.url, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: p.body,
        signal: ctl.signal,
        redirect: "manual",
      });
      const text = await res.text();
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch {
        parsed = undefined;
      }
      const reply = WebhookReply.safeParse(parsed);
      if (reply.success) {
        const s = reply.data.status;
        final = {
          state:
            s === "ok" || s === "already_processed"
              ? "delivered"
              : s === "not_linked"
                ? "not_linked"
                : "rejected",
          status: s,
        };
      } else error = `HTTP ${res.status}: unexpected reply`;
    } catch (err) {
      error =
        err instanceof Error ? (err.cause instanceof Error ? err.cause.message : err.message) : String(err);
    } finally {
      clearTimeout(timer);
      this.#inflight.delete(ctl);
    }
    if (this.#closed) return;
    try {
      if (final) {
        emu.q(SQL.markDeliveryAnswered).run(final.state, p.attempt, final.status, p.rowId);
        return;
      }
      const more = p.attempt <= emu.config.webhookRetries;
      emu.q(SQL.markDeliveryFailedAttempt).run(more ? "pending" : "failed", p.attempt, error, p.rowId);
      if (more) this.#schedule(p, emu.config.webhookRetryBaseMs * 2 ** (p.attempt - 1));
    } catch (err) {
      emu.log.warn({ err }, "webhook delivery bookkeeping failed");
    }
  }
}
