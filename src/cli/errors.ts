import { AuthError } from "../core/errors.js";

/**
 * Prints a failure as one line on stderr (never a stack: messages are already free of
 * secrets, stacks may carry request details) and sets the exit code: 2 when credentials are
 * missing or rejected, 1 otherwise.
 */
export function reportCliError(err: unknown): void {
  const message = err instanceof Error ? err.message : String(err);
  process.stderr.write(`error: ${message}\n`);
  process.exitCode = err instanceof AuthError ? 2 : 1;
}

/** Wraps a command action so its failure is reported by reportCliError. */
export function cliAction<A extends unknown[]>(
  fn: (...args: A) => Promise<void>,
): (...args: A) => Promise<void> {
  return async (...args: A) => {
    try {
      await fn(...args);
    } catch (err) {
      reportCliError(err);
    }
  };
}
