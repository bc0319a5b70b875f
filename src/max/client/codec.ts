/**
 * MAX packets ⇄ the generic RPC transport (src/core/rpc-ws.ts). Requests are
 * `{ver:11, cmd:0, seq, opcode, payload}`. Incoming: `cmd 3` is an error answer; `seq 0`, or
 * cmd 0 / 2 (what the real service and PyMax use for pushes) is an event; the rest answers a
 * request by seq.
 */
import { ApiError, AuthError, RateLimitError, type SwitchboardError } from "../../core/errors.js";
import type { RpcCodec, RpcFrame } from "../../core/rpc-ws.js";
import { Cmd, ErrorCode, opcodeName, PROTOCOL_VERSION } from "../protocol.js";
import { isObject } from "./types.js";

export interface MaxPush {
  opcode: number;
  seq: number;
  cmd: number;
  payload: unknown;
}

/** Error strings that mean "the login token is no good": log in again. */
const AUTH_ERRORS = new Set<string>([ErrorCode.LOGIN_TOKEN, "FAIL_LOGIN_TOKEN", "FAIL_LOGOUT_ALL"]);
const RETRYABLE = new Set<string>([ErrorCode.SERVICE]);

/** Typed error from an error packet's payload. Only the server's own strings are used. */
export function errorFromPayload(opcode: number, payload: unknown): SwitchboardError {
  const p = isObject(payload) ? payload : {};
  const code =
    typeof p.error === "string" ? p.error : typeof payload === "number" ? String(payload) : "unknown";
  const text = typeof p.message === "string" ? p.message : code;
  const message = `${opcodeName(opcode)} (${opcode}) failed: ${code}${text !== code ? ` — ${text}` : ""}`;
  const details: Record<string, unknown> = { opcode };
  if (typeof p.localizedMessage === "string") details.localizedMessage = p.localizedMessage;
  if (AUTH_ERRORS.has(code) || AUTH_ERRORS.has(text)) {
    return new AuthError(message, { platform: "max", code, details });
  }
  if (code === ErrorCode.RATE_LIMIT) {
    return new RateLimitError(message, { platform: "max", code, details });
  }
  return new ApiError(message, { platform: "max", code, details, retryable: RETRYABLE.has(code) });
}

/** `{"ver":11,"cmd":0,"seq":` — the fixed head of every request. */
const REQUEST_HEAD = `{"ver":${JSON.stringify(PROTOCOL_VERSION)},"cmd":${JSON.stringify(Cmd.REQUEST)},"seq":`;

export const maxCodec: RpcCodec<number, MaxPush> = {
  /**
   * The same text JSON.stringify makes of `{ver, cmd, seq, opcode, payload}`, with only the
   * payload serialised: the envelope object is neither built nor walked per request.
   */
  encode({ seq, method, payload }) {
    const body: string | undefined = JSON.stringify(payload ?? {});
    // Anything else (an opcode that is not a finite number, a payload JSON cannot represent)
    // takes the generic path, so the text stays exactly what stringify makes of the envelope.
    if (body === undefined || !Number.isFinite(method) || !Number.isSafeInteger(seq)) {
      return JSON.stringify({
        ver: PROTOCOL_VERSION,
        cmd: Cmd.REQUEST,
        seq,
        opcode: method,
        payload: payload ?? {},
      });
    }
    return `${REQUEST_HEAD}${seq},"opcode":${method},"payload":${body}}`;
  },
  decode(frame): RpcFrame<MaxPush> {
    const raw: unknown = JSON.parse(typeof frame === "string" ? frame : Buffer.from(frame).toString("utf8"));
    if (!isObject(raw)) return { kind: "ignore" };
    const cmd = typeof raw.cmd === "number" ? raw.cmd : Cmd.RESPONSE;
    const seq = typeof raw.seq === "number" ? raw.seq : 0;
    const opcode = typeof raw.opcode === "number" ? raw.opcode : 0;
    if (cmd === Cmd.ERROR) return { kind: "error", seq, error: errorFromPayload(opcode, raw.payload) };
    if (seq === 0 || cmd === Cmd.REQUEST || cmd === Cmd.EVENT) {
      return { kind: "event", event: { opcode, seq, cmd, payload: raw.payload } };
    }
    return { kind: "response", seq, payload: raw.payload ?? {} };
  },
};
