/**
 * One handler run as the pipeline sees it: the state changes it registers (applied only in the
 * commit that marks its update done), bounded by a timeout after which it is abandoned.
 */
import { HandlerTimeoutError } from "./errors.js";
import type { UpdateEffects } from "./types.js";

export class Effects implements UpdateEffects {
  readonly writes: (() => void)[] = [];
  abandoned = false;
  onCommit(write: () => void): void {
    // An abandoned (timed-out) run must not change state: its update runs again.
    if (!this.abandoned) this.writes.push(write);
  }
  abandon(): void {
    this.abandoned = true;
    this.writes.length = 0;
  }
}

export type RunOutcome = { ok: true } | { ok: false; error: unknown; timedOut: boolean };

const OK: RunOutcome = { ok: true };

/** Runs `fn`; a run still going after `timeoutMs` is abandoned (its writes dropped) and reported. */
export function runWithTimeout(
  fn: () => Promise<void>,
  effects: Effects,
  timeoutMs: number,
): Promise<RunOutcome> {
  return new Promise<RunOutcome>((resolve) => {
    let settled = false;
    // No timer without a finite timeout (the Bot enforces its own and reports it).
    const timer = !Number.isFinite(timeoutMs)
      ? undefined
      : setTimeout(() => {
          if (settled) return;
          settled = true;
          effects.abandon();
          resolve({ ok: false, error: new HandlerTimeoutError(timeoutMs), timedOut: true });
        }, timeoutMs);
    const done = (outcome: RunOutcome) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(outcome);
    };
    let run: Promise<void>;
    try {
      run = fn();
    } catch (error) {
      done({ ok: false, error, timedOut: false });
      return;
    }
    run.then(
      () => done(OK),
      (error: unknown) => done({ ok: false, error, timedOut: false }),
    );
  });
}

/** A commit refused because a session was written meanwhile (the handler reruns at once). */
export function isCommitConflict(err: unknown): boolean {
  return (
    typeof err === "object" && err !== null && (err as { commitConflict?: unknown }).commitConflict === true
  );
}
