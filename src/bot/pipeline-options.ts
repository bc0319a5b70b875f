/** The pipeline's options beyond the fixed seam (types.ts PipelineOptions), and its error report. */
import type { Adapter } from "../core/adapter.js";
import type { Message } from "../core/model.js";
import type { StoredUpdate } from "./types.js";

/** How a handler failure is reported (`final`: completed as failed, no more retries). */
export interface PipelineErrorInfo {
  update: StoredUpdate;
  attempt: number;
  final: boolean;
  timedOut: boolean;
}

/** Options beyond the fixed seam (types.ts PipelineOptions); all optional. */
export interface PipelineExtraOptions {
  /** Handler failures and timeouts (each attempt), and the pipeline's own errors (no `info`). */
  onError?: (error: unknown, info?: PipelineErrorInfo) => void;
  /** Updates one chat keeps in memory (default 100); more wait in the store. */
  queueLimit?: number;
  /** Updates all chats keep in memory together (default 10,000); more wait in the store. */
  memoryLimit?: number;
  /** First retry delay ceiling, ms (default 250; exponential with jitter, at most 30 s). */
  retryBaseMs?: number;
  /** Done keys are kept this long for de-duplication (default 7 days), pruned on start and hourly. */
  retentionMs?: number;
  /** History pages (of 100 messages) read per chat when catching up on start (default 20). */
  catchUpPages?: number;
  /**
   * Messages our own account wrote, skipped by catch-up (live events never carry them, and a bot
   * answering its own replies after a restart would loop). Default: the author is the adapter's
   * `self` (every adapter names its own user once connected).
   */
  isOwnMessage?: (adapter: Adapter, message: Message) => boolean;
}

/** The default `isOwnMessage`. */
export function ownByUserId(adapter: Adapter, message: Message): boolean {
  return adapter.self !== undefined && adapter.self.id === message.author.id;
}
