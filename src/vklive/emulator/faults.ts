/** VK Live's fault profile for the sandbox's shared HTTP fault layer: its error shape and accounts. */
import { z } from "zod";
import { type HttpAnswer, type HttpFaults, installHttpFaults, Num } from "../../core/emulator/http-faults.js";
import type { Database } from "../../core/storage.js";
import { ERROR_DESCRIPTION, ERROR_STATUS, type ErrorCode as VkErrorCode } from "../protocol/index.js";
import { hashSecret } from "./context.js";
import type { VkLiveEmulator } from "./server.js";
import { VkLiveStore } from "./store/index.js";

const VK_ERRORS = Object.keys(ERROR_STATUS) as [VkErrorCode, ...VkErrorCode[]];

/** VK Live's errors: `{error, error_description}` with the constant's status. */
export function vkliveAnswer(
  error: VkErrorCode,
  status: number = ERROR_STATUS[error],
  retryAfter = 1,
): HttpAnswer {
  return {
    status,
    body: { error, error_description: ERROR_DESCRIPTION[error] },
    ...(error === "ratelimit_exceeded" ? { headers: { "retry-after": String(retryAfter) } } : {}),
  };
}

/**
 * VK Live: only the REST DevAPI and OAuth server calls fail / rate-limit / drop (delays touch
 * everything); the account is the bearer token's user; `drop` also closes Centrifugo sockets.
 */
export function vkliveHttpFaults(vk: VkLiveEmulator, storeOrDb: VkLiveStore | Database): HttpFaults {
  const store = storeOrDb instanceof VkLiveStore ? storeOrDb : new VkLiveStore(storeOrDb);
  return installHttpFaults(vk.app, () => {
    return {
      platform: "vklive",
      title: "VK Live",
      applies: (path) => path.startsWith("/v1/") || path.startsWith("/oauth/server/"),
      account: (req) => {
        const auth = req.headers.authorization;
        const token = typeof auth === "string" ? /^Bearer\s+(\S+)$/i.exec(auth)?.[1] : undefined;
        if (!token) return undefined;
        const userId = store.tokenUserId(hashSecret(token));
        return userId == null ? undefined : String(userId);
      },
      rateKey: (req) => String(req.headers.authorization ?? req.ip),
      failFields: { error: z.enum(VK_ERRORS), status: Num(400, 599).optional() },
      failAnswer: (b) => {
        const { error, status } = b as unknown as { error: VkErrorCode; status?: number };
        return vkliveAnswer(error, status);
      },
      rateLimited: (retry) => vkliveAnswer("ratelimit_exceeded", 429, retry),
      rateNote: "429 ratelimit_exceeded",
      dropOther: (account) =>
        account !== undefined && !/^\d+$/.test(account)
          ? 0
          : vk.admin.dropConnections(account === undefined ? undefined : Number(account)),
    };
  });
}
