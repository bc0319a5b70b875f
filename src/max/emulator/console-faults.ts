/**
 * The MAX console's Faults tab: the actions it offers and how a submitted form becomes a
 * fault in the emulator's admin (drop, delay, fail next N, rate-limit, clear).
 */
import { z } from "zod";
import { type FaultAction, formFields, parseOr400 } from "../../core/emulator/console.js";
import { ErrorCode } from "../protocol.js";
import type { MaxAdmin } from "./admin.js";

const Account = z
  .union([z.string().regex(/^\d+$/), z.number().int().positive()])
  .transform((v) => Number(v))
  .optional();

const FaultBody = z.discriminatedUnion("action", [
  z.object({ action: z.literal("drop"), account: Account }),
  z.object({
    action: z.literal("delay"),
    account: Account,
    ms: z.coerce.number().int().min(0).max(60_000),
    durationMs: z.coerce.number().int().positive().max(3_600_000).default(60_000),
  }),
  z.object({
    action: z.literal("fail"),
    account: Account,
    count: z.coerce.number().int().positive().max(10_000).default(1),
    error: z.string().min(1).max(200).default(ErrorCode.SERVICE),
    message: z.string().max(1000).optional(),
    opcode: z.union([z.coerce.number().int().min(0), z.literal("")]).optional(),
  }),
  z.object({
    action: z.literal("ratelimit"),
    account: Account,
    limit: z.coerce.number().int().min(0).max(100_000),
    windowMs: z.coerce.number().int().positive().max(3_600_000).default(1_000),
    durationMs: z.coerce.number().int().positive().max(3_600_000).default(60_000),
  }),
  z.object({ action: z.literal("clear") }),
]);

/** The fault forms the console shows for MAX. */
export function maxFaultActions(): FaultAction[] {
  const account = {
    name: "account",
    label: "user (empty = everyone)",
    type: "account",
    optional: true,
  } as const;
  return [
    { action: "drop", label: "Drop connections", fields: [account] },
    {
      action: "delay",
      label: "Delay responses",
      fields: [
        account,
        { name: "ms", label: "delay ms", type: "number", default: 1500 },
        { name: "durationMs", label: "for ms", type: "number", default: 60_000 },
      ],
    },
    {
      action: "fail",
      label: "Fail next N requests",
      fields: [
        account,
        { name: "count", label: "N", type: "number", default: 1 },
        {
          name: "error",
          label: "error code",
          type: "select",
          options: Object.values(ErrorCode),
          default: ErrorCode.SERVICE,
        },
        { name: "message", label: "message", type: "text", optional: true },
        { name: "opcode", label: "only opcode", type: "number", optional: true },
      ],
    },
    {
      action: "ratelimit",
      label: "Rate-limit",
      fields: [
        account,
        { name: "limit", label: "requests", type: "number", default: 5 },
        { name: "windowMs", label: "per ms", type: "number", default: 1000 },
        { name: "durationMs", label: "for ms", type: "number", default: 60_000 },
      ],
    },
    { action: "clear", label: "Clear all faults", fields: [] },
  ];
}

/** Applies one submitted fault form; the result for the caller and a line for the console. */
export function applyMaxFault(
  admin: MaxAdmin,
  input: unknown,
): { result: Record<string, unknown>; notice: string } {
  const body = parseOr400(FaultBody, formFields(input));
  const target = body.action !== "clear" && body.account !== undefined ? { userId: body.account } : {};
  const who = target.userId === undefined ? "everyone" : `user ${target.userId}`;
  let result: Record<string, unknown> = { ok: true };
  let notice: string;
  switch (body.action) {
    case "drop": {
      const dropped = admin.drop(target);
      result = { ok: true, dropped };
      notice = `dropped ${dropped} connection(s) of ${who}`;
      break;
    }
    case "delay":
      admin.delay(body.ms, body.durationMs, target);
      notice = `responses to ${who} delayed ${body.ms} ms for ${body.durationMs} ms`;
      break;
    case "fail": {
      const opcode = body.opcode === "" ? undefined : body.opcode;
      admin.failNext(body.count, {
        ...target,
        error: body.error,
        message: body.message || undefined,
        opcode,
      });
      notice = `next ${body.count} request(s) of ${who}${opcode === undefined ? "" : ` with opcode ${opcode}`} fail with ${body.error}`;
      break;
    }
    case "ratelimit":
      admin.rateLimit(body.limit, body.windowMs, body.durationMs, target);
      notice = `${who}: at most ${body.limit} request(s) per ${body.windowMs} ms for ${body.durationMs} ms`;
      break;
    case "clear":
      admin.clearFaults();
      notice = "faults cleared";
      break;
  }
  return { result, notice };
}
