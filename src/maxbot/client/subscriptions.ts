/** MaxBotClient: webhook subscriptions and one long-poll request (`GET /updates`). */
import { z } from "zod";
import type { CallOptions } from "../../core/call.js";
import {
  MaxBotEndpoints as E,
  Int64,
  type SubscriptionRequestBody,
  Update,
  type UpdateType,
} from "../protocol.js";
import type { MaxBotCore } from "./core.js";

export interface GetUpdatesQuery {
  /** 1..1000, default 100. */
  limit?: number;
  /** Seconds the server may hold the request open waiting for news: 0..90, default 30. */
  timeout?: number;
  /** Commits every update before it and answers those after it. */
  marker?: number;
  types?: UpdateType[];
}

/** One `GET /updates` answer: known updates parsed, the others (newer types) kept raw. */
export interface UpdateBatch {
  updates: Update[];
  /** Items this client does not know (a type added by the platform later), as they came. */
  unknown: unknown[];
  marker: number | null;
}

/** The list read item by item, so one update of an unknown type does not fail the batch. */
const LooseUpdateList = z.object({ updates: z.array(z.unknown()), marker: Int64.nullable() });
const getUpdatesLoose = { ...E.getUpdates, response: LooseUpdateList };

/** Long polls wait `timeout` seconds on the server: the HTTP timeout allows that plus this. */
const POLL_SLACK_MS = 15_000;

export const subscriptionsApi = {
  getSubscriptions(this: MaxBotCore, options: CallOptions = {}) {
    return this.call(E.getSubscriptions, {}, options);
  },
  /** Webhook: updates are POSTed to `url` (with `secret` in X-Max-Bot-Api-Secret); polling stops. */
  subscribe(this: MaxBotCore, body: SubscriptionRequestBody, options: CallOptions = {}) {
    return this.call(E.subscribe, { input: body }, { ...options, idempotent: true });
  },
  unsubscribe(this: MaxBotCore, url: string, options: CallOptions = {}) {
    return this.call(E.unsubscribe, { input: { url } }, options);
  },
  /**
   * One long-poll request. Passing `marker` commits every update before it on the server, so
   * pass it only once those are handled (`poll` does this for you, durably).
   */
  async getUpdates(
    this: MaxBotCore,
    query: GetUpdatesQuery = {},
    options: CallOptions & { retries?: number } = {},
  ): Promise<UpdateBatch> {
    const timeoutMs = options.timeoutMs ?? (query.timeout ?? 30) * 1000 + POLL_SLACK_MS;
    const res = await this.call(getUpdatesLoose, { input: query }, { ...options, timeoutMs });
    const updates: Update[] = [];
    const unknown: unknown[] = [];
    for (const item of res.updates) {
      const parsed = Update.safeParse(item);
      if (parsed.success) updates.push(parsed.data);
      else unknown.push(item);
    }
    return { updates, unknown, marker: res.marker };
  },
};

export type SubscriptionsApi = typeof subscriptionsApi;
