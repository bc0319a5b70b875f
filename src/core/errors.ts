/**
 * One error family for every platform. `code` is the platform's own code or string
 * (MAX `proto.state`, MaxIM 10008, WebQQ retcode 103, VK Live `invalid_param`).
 * Messages never contain secrets: callers pass already-redacted details.
 */
export type Platform = "max" | "maxim" | "webqq" | "vklive" | "maxbot" | "core" | "sandbox";

export interface SwitchboardErrorOptions {
  platform: Platform;
  code?: string | number;
  retryable?: boolean;
  cause?: unknown;
  /** Redacted context for debugging: method/opcode, HTTP status… never tokens. */
  details?: Record<string, unknown>;
}

export class SwitchboardError extends Error {
  readonly platform: Platform;
  readonly code: string | number | undefined;
  readonly retryable: boolean;
  readonly details: Record<string, unknown> | undefined;

  constructor(message: string, options: SwitchboardErrorOptions) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.platform = options.platform;
    this.code = options.code;
    this.retryable = options.retryable ?? false;
    this.details = options.details;
  }
}

/** The platform answered and said no. */
export class ApiError extends SwitchboardError {}

/** The network failed or the connection closed before an answer arrived. */
export class TransportError extends SwitchboardError {
  constructor(message: string, options: SwitchboardErrorOptions) {
    super(message, { retryable: true, ...options });
  }
}

/** No answer within the allotted time. */
export class TimeoutError extends SwitchboardError {
  constructor(message: string, options: SwitchboardErrorOptions) {
    super(message, { retryable: true, ...options });
  }
}

/** Credentials are missing, wrong, expired or revoked: log in again. */
export class AuthError extends SwitchboardError {}

/** Too many requests; `retryAfterMs` says when to try again if the platform told us. */
export class RateLimitError extends SwitchboardError {
  readonly retryAfterMs: number | undefined;
  constructor(message: string, options: SwitchboardErrorOptions & { retryAfterMs?: number }) {
    super(message, { retryable: true, ...options });
    this.retryAfterMs = options.retryAfterMs;
  }
}

/** Our own schema rejected the input before anything was sent. */
export class ValidationError extends SwitchboardError {
  readonly issues: string[];
  constructor(message: string, options: SwitchboardErrorOptions & { issues?: string[] }) {
    super(message, options);
    this.issues = options.issues ?? [];
  }
}

/** The caller aborted the operation through its AbortSignal. */
export class AbortError extends SwitchboardError {
  constructor(platform: Platform, reason?: unknown) {
    super("The operation was aborted", { platform, code: "aborted", cause: reason });
    this.name = "AbortError";
  }
}

/** A listener (event handler) threw; delivered to the emitter's `error` event. */
export class HandlerError extends SwitchboardError {
  /** The event whose listener threw. */
  readonly event: string;
  constructor(message: string, options: Omit<SwitchboardErrorOptions, "code"> & { event: string }) {
    super(message, { ...options, code: "handler_error", retryable: false });
    this.event = options.event;
  }
}

/** The platform (or this adapter) can't do that: feature-detect with `capabilities` first. */
export class UnsupportedError extends SwitchboardError {
  constructor(platform: Platform, operation: string) {
    super(`${platform} does not support ${operation}`, { platform, code: "unsupported", retryable: false });
  }
}

/**
 * The error for a call whose signal fired: a TimeoutError when the signal was a timeout
 * (`timeoutMs`, AbortSignal.timeout), an AbortError when the caller aborted.
 */
export function abortedError(platform: Platform, reason: unknown): AbortError | TimeoutError {
  if (reason instanceof TimeoutError) return reason;
  if (reason instanceof Error && reason.name === "TimeoutError") {
    return new TimeoutError("The operation timed out", { platform, code: "timeout", cause: reason });
  }
  return new AbortError(platform, reason);
}
