/** The console's WebQQ fault forms: poll / send faults, kicks, and the shared HTTP faults. */
import { z } from "zod";
import { type ConsoleSink, type FaultAction, formFields, parseOr400 } from "../../core/emulator/console.js";
import { applyConsoleHttpFault, consoleHttpFaultActions } from "../../core/emulator/http-faults.js";
import { Retcode } from "../protocol.js";
import { asError } from "./console-util.js";
import { webqqHttpFaults } from "./faults.js";
import type { WebQQEmulator } from "./server.js";

export interface FaultContext {
  webqq: WebQQEmulator;
  sink: ConsoleSink | undefined;
  qqOf(value: string, what?: string): number;
}

const Qq = z
  .union([z.string().regex(/^\d{5,10}$/, "must be a QQ number"), z.number().int()])
  .transform(Number);
const Times = z.coerce.number().int().min(1).max(1_000_000).default(1);

const FaultBody = z.discriminatedUnion("action", [
  z.object({
    action: z.literal("failPolls"),
    retcode: z.coerce.number().int().min(1).max(0x7fffffff),
    times: Times,
    account: Qq.optional(),
  }),
  z.object({
    action: z.literal("failSends"),
    times: Times,
    delivered: z
      .union([z.boolean(), z.enum(["yes", "no"])])
      .transform((v) => v === true || v === "yes")
      .default(false),
    account: Qq.optional(),
  }),
  z.object({ action: z.literal("kick"), account: Qq }),
  z.object({ action: z.literal("clear") }),
]);

/** Retcodes offered in the "fail polls" form (any integer is accepted). */
const POLL_RETCODES = [
  Retcode.LOST,
  Retcode.BAD_COOKIE,
  Retcode.NEW_PTWEBQQ,
  Retcode.RELINK,
  Retcode.KICKED,
  Retcode.WRONG_CLIENT,
  Retcode.EXPIRED,
  Retcode.BAD_ID,
  Retcode.BAD_REQUEST,
].map(String);

export function webqqFaultActions(): FaultAction[] {
  const account = {
    name: "account",
    label: "account (empty = everyone)",
    type: "account",
    optional: true,
  } as const;
  return [
    {
      action: "failPolls",
      label: "Fail next N polls",
      fields: [
        {
          name: "retcode",
          label: "retcode",
          type: "select",
          options: POLL_RETCODES,
          default: String(Retcode.LOST),
        },
        { name: "times", label: "N", type: "number", default: 1 },
        account,
      ],
    },
    {
      action: "failSends",
      label: "Fail next N sends (1202)",
      fields: [
        { name: "times", label: "N", type: "number", default: 1 },
        {
          name: "delivered",
          label: "deliver anyway",
          type: "select",
          options: ["no", "yes"],
          default: "no",
        },
        account,
      ],
    },
    ...consoleHttpFaultActions({
      fail: [
        {
          name: "retcode",
          label: "retcode",
          type: "select",
          options: [...POLL_RETCODES, "1202"],
          default: "100006",
        },
      ],
    }),
    {
      action: "kick",
      label: "Kick an account",
      fields: [{ name: "account", label: "account", type: "account" }],
    },
    { action: "clear", label: "Clear all faults", fields: [] },
  ];
}

export function applyWebQQFault(c: FaultContext, input: unknown): Record<string, unknown> {
  const cleaned = formFields(input);
  const shared = applyConsoleHttpFault(webqqHttpFaults(c.webqq), cleaned, c.sink, [
    "fail",
    "delay",
    "ratelimit",
    "drop",
  ]);
  if (shared) return shared;
  const body = parseOr400(FaultBody, cleaned);
  const who = (qq: number | undefined) => (qq === undefined ? "everyone" : `${qq}`);
  let result: Record<string, unknown> = { ok: true };
  try {
    switch (body.action) {
      case "failPolls":
        c.webqq.admin.failPolls({
          retcode: body.retcode,
          times: body.times,
          ...(body.account !== undefined ? { qq: body.account } : {}),
        });
        c.sink?.notice(
          `next ${body.times} WebQQ poll(s) of ${who(body.account)} answer retcode ${body.retcode}`,
        );
        break;
      case "failSends":
        c.webqq.admin.failSends({
          times: body.times,
          delivered: body.delivered,
          ...(body.account !== undefined ? { qq: body.account } : {}),
        });
        c.sink?.notice(
          `next ${body.times} WebQQ send(s) of ${who(body.account)} answer 1202${body.delivered ? " (delivered anyway)" : ""}`,
        );
        break;
      case "kick": {
        const kicked = c.webqq.admin.kick(c.qqOf(String(body.account), "account"));
        result = { ok: true, kicked };
        c.sink?.notice(`kicked ${kicked} WebQQ session(s) of ${body.account}`);
        c.sink?.changed({});
        break;
      }
      case "clear":
        c.webqq.admin.clearFaults();
        webqqHttpFaults(c.webqq).clear();
        c.sink?.notice("WebQQ faults cleared");
        break;
    }
  } catch (err) {
    asError(err);
  }
  return result;
}
