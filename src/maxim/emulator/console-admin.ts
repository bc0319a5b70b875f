/**
 * In-process calls to the MaxIM emulator's own REST API with a throwaway admin token: the seed
 * (seed/apply.ts) and the console (console/providers/maxim.ts) both act on MaxIM this way, so
 * what they do goes through the same checks and writes as a real admin call.
 */
import { randomBytes } from "node:crypto";
import { Header } from "../protocol.js";
import { hashSecret } from "./context.js";
import type { MaxImEmulator } from "./server.js";

/** A MaxIM answer whose `code` is not 200. */
export class MaxImCallError extends Error {
  constructor(
    readonly url: string,
    readonly code: number,
    readonly detail: string | undefined,
  ) {
    super(`MaxIM ${url} answered ${code} ${detail ?? ""}`.trim());
  }
}

/** One admin call: `asUser` sets the acting user header; answers `data` or throws MaxImCallError. */
export type MaxImAdminCall = (
  method: "GET" | "POST",
  url: string,
  body?: unknown,
  asUser?: number,
) => Promise<unknown>;

/**
 * Runs `fn` with an admin `call` for `appId`: a fresh admin token is stored before and deleted
 * after (also when `fn` throws). `prefix` names the token's owner (`seed`, `console`).
 */
export async function withMaxImAdmin<T>(
  maxim: MaxImEmulator,
  appId: string,
  prefix: string,
  fn: (call: MaxImAdminCall) => Promise<T>,
): Promise<T> {
  const token = `${prefix}-${randomBytes(16).toString("hex")}`;
  const tokenHash = hashSecret(token);
  maxim.store.apps.addAdminToken(tokenHash, appId, Date.now());
  try {
    const call: MaxImAdminCall = async (method, url, body, asUser) => {
      const headers: Record<string, string> = { [Header.APP_ID]: appId, [Header.ACCESS_TOKEN]: token };
      if (asUser !== undefined) headers[Header.USER_ID] = String(asUser);
      if (body !== undefined) headers["content-type"] = "application/json";
      const res = await maxim.app.inject({
        method,
        url,
        headers,
        ...(body !== undefined ? { payload: JSON.stringify(body) } : {}),
      });
      const out = res.json() as { code: number; message?: string; data: unknown };
      if (out.code !== 200) throw new MaxImCallError(url, out.code, out.message);
      return out.data;
    };
    return await fn(call);
  } finally {
    maxim.store.apps.deleteAdminToken(tokenHash);
  }
}
