/**
 * The one place tests wait for "nothing (more) happens". Prefer a sentinel: after the action
 * that must NOT produce an event, trigger one that must, on the same ordered channel, and wait
 * for that (`untilSentinel`): anything unwanted would have arrived first. Only where no ordered
 * channel exists, `quietFor` waits one short, named window — never a bare sleep in a test.
 */

/** How long `quietFor` watches by default (ms): long enough for loopback, short for the suite. */
export const QUIET_MS = 150;

/**
 * Subscribes with `watch`, runs `sentinel` (which must cause an event `isSentinel` accepts) and
 * resolves with every event that arrived before it. Rejects after `timeoutMs` if it never comes.
 */
export function untilSentinel<T>(
  watch: (push: (event: T) => void) => () => void,
  isSentinel: (event: T) => boolean,
  sentinel: () => unknown,
  timeoutMs = 10_000,
): Promise<T[]> {
  return new Promise((resolve, reject) => {
    const before: T[] = [];
    const timer = setTimeout(() => {
      unwatch();
      reject(new Error(`sentinel not seen within ${timeoutMs} ms (saw ${before.length} other events)`));
    }, timeoutMs);
    const unwatch = watch((event) => {
      if (!isSentinel(event)) {
        before.push(event);
        return;
      }
      clearTimeout(timer);
      unwatch();
      resolve(before);
    });
    Promise.resolve()
      .then(sentinel)
      .catch((err: unknown) => {
        clearTimeout(timer);
        unwatch();
        reject(err);
      });
  });
}

/** Every event `watch` delivers within `ms`: for asserting that none (or only some) arrive. */
export function quietFor<T>(watch: (push: (event: T) => void) => () => void, ms = QUIET_MS): Promise<T[]> {
  return new Promise((resolve) => {
    const seen: T[] = [];
    const unwatch = watch((event) => void seen.push(event));
    setTimeout(() => {
      unwatch();
      resolve(seen);
    }, ms);
  });
}

/** Lets pending I/O callbacks and microtasks run (one macrotask turn), without a time window. */
export const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
