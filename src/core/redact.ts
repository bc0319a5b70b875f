/**
 * Secret redaction shared by logs and error details. Keys are matched case-insensitively
 * anywhere in a nested object; values of these keys never leave the process in clear text.
 * Plain `code` is deliberately not a secret: it is the business error code on most platforms.
 */
const SECRET_PARTS = [
  "token",
  "password",
  "passwd",
  "secret",
  "cookie",
  "authorization",
  "signature",
  "verifycode",
  "smscode",
  "ptwebqq",
  "psessionid",
  "vfwebqq",
  "apikey",
];

export const REDACTED = "[redacted]";

export function isSecretKey(key: string): boolean {
  const k = key.toLowerCase().replace(/[^a-z]/g, "");
  return SECRET_PARTS.some((part) => k.includes(part));
}

/** Deep copy with secret-looking keys replaced. Depth is bounded. */
export function redact<T>(value: T, depth = 0): T {
  if (depth > 8 || value === null || typeof value !== "object") return value;
  if (value instanceof Error) return { type: value.name, message: value.message } as T;
  if (Array.isArray(value)) return value.map((v) => redact(v, depth + 1)) as T;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    out[k] = isSecretKey(k) && v !== undefined && v !== null && v !== "" ? REDACTED : redact(v, depth + 1);
  }
  return out as T;
}

/** Masks secrets that travel inside URLs (query strings such as `?token=…`). */
export function redactUrl(url: string): string {
  return url.replace(
    /([?&#](?:[^=&#]*(?:token|password|secret|code|sig|key)[^=&#]*)=)[^&#]*/gi,
    `$1${REDACTED}`,
  );
}
