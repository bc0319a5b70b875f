/**
 * One way to turn zod issues into words, and to check a request before anything is sent
 * (ValidationError) or a response after it arrives (ApiError `bad_response`).
 */
import type { z } from "zod";
import { ApiError, type Platform, ValidationError } from "./errors.js";

/** `path: message` for each issue (just `message` at the root). */
export function formatIssues(error: z.ZodError): string[] {
  return error.issues.map((i) =>
    i.path.length ? `${i.path.map(String).join(".")}: ${i.message}` : i.message,
  );
}

/** The issues on one line, `; `-separated. */
export function issuesText(error: z.ZodError): string {
  return formatIssues(error).join("; ");
}

/**
 * `value` checked with `schema`, or a ValidationError naming what is wrong (`what` says which
 * call or argument). Nothing has been sent when it throws.
 */
export function validateInput<T extends z.ZodType>(
  schema: T,
  value: unknown,
  context: { platform: Platform; what: string },
): z.output<T> {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  const issues = formatIssues(r.error);
  throw new ValidationError(`${context.what}: ${issues.join("; ")}`, {
    platform: context.platform,
    code: "invalid_input",
    issues,
  });
}

/**
 * A response body read with its schema. Schemas for responses should be lenient (unknown fields
 * kept); a body that still does not fit is the server's fault: ApiError `bad_response`.
 */
export function parseResponse<T extends z.ZodType>(
  schema: T,
  value: unknown,
  context: { platform: Platform; what: string },
): z.output<T> {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  const issues = formatIssues(r.error);
  throw new ApiError(`${context.what}: unexpected response (${issues.slice(0, 5).join("; ")})`, {
    platform: context.platform,
    code: "bad_response",
    details: { issues },
  });
}
