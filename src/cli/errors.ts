/**
 * How every `switchboard` command fails: one line on stderr that names what failed and what to
 * do, never a stack (unless --verbose), never a secret; and a documented exit code.
 */
import { AuthError, SwitchboardError, TimeoutError, TransportError } from "../core/errors.js";

/** Exit codes (docs/cli.md): scripts may rely on them. */
export const EXIT = {
  ok: 0,
  /** The command failed: the platform said no, bad input or flags, anything else. */
  failed: 1,
  /** Not logged in, or the stored credentials were refused: log in again. */
  auth: 2,
  /** The server could not be reached (refused, unknown host, timed out, connection lost). */
  unreachable: 3,
} as const;

/** A failure of the command line itself (bad flag value, missing setting), already worded for the user. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = EXIT.failed,
  ) {
    super(message);
    this.name = "CliError";
  }
}

/** Where the current command talks to, so a connection error can name it. */
export interface CliTarget {
  /** "MAX", "MaxIM", "WebQQ", "VK Live". */
  title: string;
  /** The URL, or a description of the production hosts. */
  url: string;
  /** Where the URL came from: "--url", "$SWITCHBOARD_MAX_URL", 'profile "default"', "default (production)". */
  source: string;
  /** True when no URL was configured and the production service is used. */
  production: boolean;
  /** The command that logs in on this platform, for hints. */
  login: string;
}

let target: CliTarget | undefined;
let verbose = false;
let reported = false;

export function setCliTarget(t: CliTarget): void {
  target = t;
}

export function setVerbose(on: boolean): void {
  verbose = on;
}

export function isVerbose(): boolean {
  return verbose;
}

/** True once a failure has been reported (later stray rejections are only echoed with --verbose). */
export function hasReported(): boolean {
  return reported;
}

const NETWORK_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ENOTFOUND",
  "EAI_AGAIN",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "EPIPE",
  "UND_ERR_CONNECT_TIMEOUT",
  "UND_ERR_SOCKET",
  "CERT_HAS_EXPIRED",
  "DEPTH_ZERO_SELF_SIGNED_CERT",
  "ERR_TLS_CERT_ALTNAME_INVALID",
]);

function causes(err: unknown): unknown[] {
  const chain: unknown[] = [];
  for (let e = err; e !== undefined && e !== null && chain.length < 8; e = (e as { cause?: unknown }).cause)
    chain.push(e);
  return chain;
}

/** The network code somewhere in the cause chain (ECONNREFUSED …), if any. */
function networkCode(err: unknown): string | undefined {
  for (const e of causes(err)) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string" && NETWORK_CODES.has(code)) return code;
  }
  return undefined;
}

function isUnreachable(err: unknown): boolean {
  if (err instanceof AuthError) return false;
  if (err instanceof TransportError || err instanceof TimeoutError) return true;
  return networkCode(err) !== undefined;
}

export function exitCodeOf(err: unknown): number {
  if (err instanceof CliError) return err.exitCode;
  if (err instanceof AuthError) return EXIT.auth;
  if (isUnreachable(err)) return EXIT.unreachable;
  return EXIT.failed;
}

function messageOf(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  return message.trim() || (err instanceof Error ? err.name : "unknown error");
}

/** The one line for a failure: what failed, and what to do about it. */
export function describeError(err: unknown): string {
  const message = messageOf(err);
  if (isUnreachable(err) && target) {
    const code = networkCode(err);
    const reason = code && !message.includes(code) ? `${message} (${code})` : message;
    const where = `${target.title} at ${target.url} (${target.source})`;
    const hint = target.production
      ? "That is the production service; for a sandbox pass --url (from its --json line) or log in with --url to remember it"
      : "Is the server (the sandbox?) running there? Pass another --url, or log in again with --url to remember it";
    return `cannot reach ${where}: ${reason}. ${hint}`;
  }
  if (err instanceof AuthError && target && !/switchboard \w+ login/.test(message))
    return `${message} (log in with \`${target.login}\`)`;
  return message;
}

/**
 * Prints a failure as one line on stderr and sets the exit code. With --verbose the stack, the
 * causes and the redacted details follow (messages and details never carry secrets).
 */
export function reportCliError(err: unknown): void {
  reported = true;
  process.stderr.write(`error: ${describeError(err)}\n`);
  if (verbose) {
    for (const e of causes(err)) {
      const stack = e instanceof Error ? e.stack : String(e);
      process.stderr.write(`${stack}\n`);
      if (e instanceof SwitchboardError)
        process.stderr.write(
          `  platform=${e.platform} code=${String(e.code)} retryable=${e.retryable}${e.details ? ` details=${JSON.stringify(e.details)}` : ""}\n`,
        );
    }
  }
  process.exitCode = exitCodeOf(err);
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
