/** WebQQ's fault profile for the sandbox's shared HTTP fault layer: its error shape and accounts. */
import { z } from "zod";
import { type HttpFaults, installHttpFaults, Num } from "../../core/emulator/http-faults.js";
import { describeRetcode, Retcode, WEBQQ_ENDPOINTS } from "../protocol.js";
import type { WebQQEmulator } from "./server.js";

/** The send paths, where the emulator's own send fault (1202) is preferred. */
const WEBQQ_SENDS: string[] = (["sendBuddy", "sendQun", "sendDiscu", "sendSess"] as const).map(
  (n) => WEBQQ_ENDPOINTS[n].path,
);
const WEBQQ_POLL = WEBQQ_ENDPOINTS.poll2.path;

/** The seeds give no retcode for too-frequent requests: HTTP 503 with 1202 (not delivered). */
export const WEBQQ_RATE_LIMIT = { status: 503, retcode: Retcode.SEND_FAILED } as const;

/**
 * WebQQ: HTTP 200 `{retcode, errmsg}`; the account is the `uin` cookie (`o<qq>`). A `fail` on
 * poll2 or a send (with 1202) goes to the emulator's own poll / send faults.
 */
export function webqqHttpFaults(webqq: WebQQEmulator): HttpFaults {
  return installHttpFaults(webqq.app, () => ({
    platform: "webqq",
    title: "WebQQ",
    account: (req) => webqqAccount(req.headers.cookie),
    failFields: { retcode: z.coerce.number().int(), status: Num(200, 599).optional() },
    failAnswer: (b) => {
      const { retcode, status, path, account, times } = b as unknown as {
        retcode: number;
        status?: number;
        path?: string;
        account?: string;
        times: number;
      };
      const qq = account !== undefined && /^\d+$/.test(account) ? { qq: Number(account) } : {};
      if (status === undefined || status === 200) {
        if (path === WEBQQ_POLL) {
          webqq.admin.failPolls({ retcode, times, ...qq });
          return { native: `retcode ${retcode} (emulator poll fault)` };
        }
        if (path !== undefined && WEBQQ_SENDS.includes(path) && retcode === Retcode.SEND_FAILED) {
          webqq.admin.failSends({ times, ...qq });
          return { native: "retcode 1202 (emulator send fault)" };
        }
      }
      return { status: status ?? 200, body: { retcode, errmsg: describeRetcode(retcode) } };
    },
    rateFields: { retcode: z.coerce.number().int().optional() },
    rateLimited: (retry, extra) => ({
      status: WEBQQ_RATE_LIMIT.status,
      headers: { "retry-after": String(retry) },
      body: {
        retcode: typeof extra.retcode === "number" ? extra.retcode : WEBQQ_RATE_LIMIT.retcode,
        errmsg: "too many requests",
      },
    }),
    rateNote: "HTTP 503 {retcode: 1202}",
    clearNative: () => webqq.admin.clearFaults(),
  }));
}

/** `uin=o0123456` (or `p_uin`, `pt2gguin`) → `123456`. */
function webqqAccount(cookie: string | undefined): string | undefined {
  if (!cookie) return undefined;
  const m = /(?:^|;\s*)(?:uin|p_uin|pt2gguin)=o0*(\d+)/.exec(cookie);
  return m?.[1];
}
