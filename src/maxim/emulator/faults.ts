/** MaxIM's fault profile for the sandbox's shared HTTP fault layer: its error shape and accounts. */
import { z } from "zod";
import { type HttpFaults, headerText, installHttpFaults } from "../../core/emulator/http-faults.js";
import { describeError, ERROR_CODES, Header } from "../protocol.js";
import type { MaxImEmulator } from "./server.js";

/** MaxIM has no rate-limit code; its closest is the license limit. */
export const MAXIM_RATE_LIMIT_CODE = 30023;
const MaxImCode = z.coerce
  .number()
  .int()
  .refine((c) => c in ERROR_CODES, "code must be a MaxIM error code of the seed's table");

/** MaxIM: HTTP 200 `{code, message, data:null}`; the account is the `user_id` header. */
export function maximHttpFaults(maxim: MaxImEmulator): HttpFaults {
  return installHttpFaults(maxim.app, () => ({
    platform: "maxim",
    title: "MaxIM",
    account: (req) => headerText(req.headers[Header.USER_ID]),
    rateKey: (req) =>
      headerText(req.headers[Header.USER_ID]) ?? headerText(req.headers[Header.ACCESS_TOKEN]) ?? req.ip,
    failFields: { code: MaxImCode, message: z.string().min(1).max(1000).optional() },
    failAnswer: (b) => {
      const { code, message } = b as unknown as { code: number; message?: string };
      return { status: 200, body: { code, message: message ?? describeError(code), data: null } };
    },
    rateFields: { code: MaxImCode.optional() },
    rateLimited: (_retry, extra) => {
      const code = typeof extra.code === "number" ? extra.code : MAXIM_RATE_LIMIT_CODE;
      return {
        status: 200,
        body: { code, message: `${describeError(code)}: too many requests`, data: null },
      };
    },
    rateNote: `HTTP 200 {code: ${MAXIM_RATE_LIMIT_CODE}}`,
    clearNative: () => maxim.admin.clearFaults(),
  }));
}
