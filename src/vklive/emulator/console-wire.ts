/** Pieces of the VK Live console provider: fault form schema, masking, Centrifugo frame capture. */
import type { IncomingMessage } from "node:http";
import type { WebSocket } from "ws";
import { z } from "zod";
import type { ConsoleInboxItem, ConsoleSink, TrafficRecord } from "../../core/emulator/console.js";
import { BODY_PREVIEW, payloadText } from "../../core/emulator/http-capture.js";
import { REDACTED, redact, redactUrl } from "../../core/redact.js";
import { ERROR_STATUS, type ErrorCode, Paths } from "../protocol/index.js";

export const ERRORS = Object.keys(ERROR_STATUS) as [ErrorCode, ...ErrorCode[]];
const Num = (min: number, max: number) => z.coerce.number().int().min(min).max(max);

export const FaultBody = z.discriminatedUnion("action", [
  z.object({
    action: z.literal("fail"),
    error: z.enum(ERRORS),
    times: Num(1, 10_000).default(1),
    path: z.string().startsWith("/").max(200).optional(),
    /** Overrides the seed's status of `error` (answered by the console's own hook then). */
    status: Num(400, 599).optional(),
  }),
  z.object({
    action: z.literal("ratelimit"),
    limit: Num(0, 100_000),
    windowMs: Num(1, 3_600_000).default(1000),
    durationMs: Num(1, 3_600_000).default(60_000),
  }),
  z.object({ action: z.literal("drop"), account: z.string().regex(/^\d+$/).optional() }),
  z.object({
    action: z.literal("delay"),
    ms: Num(0, 60_000),
    durationMs: Num(1, 3_600_000).default(60_000),
  }),
  z.object({ action: z.literal("clear") }),
]);

/** Consent windows remembered for the inbox. */
export const MAX_CONSENTS = 200;
export const WS_PATH = Paths.websocket;

export interface ConsentRequest {
  id: string;
  time: number;
  clientId: string;
  redirectUri: string;
  responseType: "code" | "token";
  scopes: string[];
  state: string | undefined;
  status: ConsoleInboxItem["status"];
  /** The redirect the decision made (code flow: with the code; implicit: token masked). */
  location?: string;
  userId?: number;
}

/** `redact`, plus VK Live secrets it doesn't know: OAuth codes (strings; numeric Centrifugo codes stay), the consent form's MAC, stream keys. */
export function mask<T>(value: T): T {
  const v = redact(value);
  const walk = (x: unknown, d: number): unknown => {
    if (d > 8 || x === null || typeof x !== "object") return x;
    if (Array.isArray(x)) return x.map((i) => walk(i, d + 1));
    const out: Record<string, unknown> = {};
    for (const [k, val] of Object.entries(x as Record<string, unknown>)) {
      const key = k.toLowerCase();
      out[k] =
        ((key === "code" || key === "consent") && typeof val === "string" && val !== "") ||
        key === "stream_key" ||
        key === "secret_hash" ||
        key === "signature_key"
          ? REDACTED
          : walk(val, d + 1);
    }
    return out;
  };
  return walk(v, 0) as T;
}

/** `sub` of a Centrifugo JWT, read without checking (the hub checks it): the account of a socket. */
function jwtSub(token: unknown): string | undefined {
  if (typeof token !== "string") return undefined;
  try {
    const body = JSON.parse(Buffer.from(token.split(".")[1] ?? "", "base64url").toString("utf8")) as {
      sub?: unknown;
    };
    return typeof body.sub === "string" && body.sub !== "" ? body.sub : undefined;
  } catch {
    return undefined;
  }
}

export const isLoopback = (url: string): boolean => {
  try {
    const u = new URL(url);
    return (
      (u.protocol === "http:" || u.protocol === "https:") &&
      ["127.0.0.1", "localhost", "[::1]"].includes(u.hostname)
    );
  } catch {
    return false;
  }
};

/** What a tapped Centrifugo socket reports to. */
export interface SocketTap {
  platform: string;
  conn: string;
  sink(): ConsoleSink | undefined;
  capturing(): boolean;
}

/** Records every frame of one Centrifugo socket (both ways) in the inspector while capturing. */
export function tapCentrifugoSocket(ws: WebSocket, req: IncomingMessage, tap: SocketTap): void {
  const conn = tap.conn;
  let account: string | undefined;
  const emit = (dir: "in" | "out", text: string) => {
    const sink = tap.sink();
    if (!sink) return;
    const frames: unknown[] = [];
    for (const line of text.split("\n")) {
      if (line.trim() === "") continue;
      try {
        frames.push(JSON.parse(line));
      } catch {
        frames.push(line.slice(0, BODY_PREVIEW));
      }
    }
    if (dir === "in" && account === undefined) {
      for (const f of frames) {
        const token = (f as { connect?: { token?: unknown } } | null)?.connect?.token;
        const sub = jwtSub(token);
        if (sub !== undefined) account = sub;
      }
    }
    const record: TrafficRecord = {
      platform: tap.platform,
      dir,
      time: Date.now(),
      size: Buffer.byteLength(text),
      conn,
      method: "WS",
      path: WS_PATH,
      summary: frames.map(frameSummary).join(" · ") || "(empty)",
      payload: mask(frames.length === 1 ? frames[0] : frames),
    };
    if (account !== undefined) record.account = account;
    sink.traffic(record);
  };
  ws.on("message", (data, isBinary) => {
    if (!tap.capturing()) return;
    if (isBinary) return emit("in", "(binary frame)");
    emit("in", Array.isArray(data) ? Buffer.concat(data).toString("utf8") : data.toString());
  });
  const capture = tap.capturing;
  const send = ws.send;
  ws.send = function (this: WebSocket, ...args: unknown[]) {
    if (capture()) {
      const data = args[0];
      emit("out", payloadText(data, "(binary)"));
    }
    return (send as (...a: unknown[]) => void).apply(this, args);
  } as typeof ws.send;
  ws.on("close", (code, reason) => {
    const sink = tap.sink();
    if (!tap.capturing() || !sink) return;
    const record: TrafficRecord = {
      platform: tap.platform,
      dir: "out",
      time: Date.now(),
      size: 0,
      conn,
      method: "WS",
      path: WS_PATH,
      summary: `closed ${code} ${reason.toString()}`.trim(),
      payload: { close: { code, reason: reason.toString() } },
    };
    if (account !== undefined) record.account = account;
    sink.traffic(record);
  });
  if (tap.capturing()) {
    tap.sink()?.traffic({
      platform: tap.platform,
      dir: "in",
      time: Date.now(),
      size: 0,
      conn,
      method: "WS",
      path: redactUrl(req.url ?? WS_PATH),
      summary: "websocket opened",
      payload: { url: redactUrl(req.url ?? WS_PATH) },
    });
  }
}

// ── accounts, chats, messages ──

export function eventType(event: unknown): string {
  try {
    const e = (typeof event === "string" ? JSON.parse(event) : event) as { type?: unknown } | null;
    return typeof e?.type === "string" ? e.type : "";
  } catch {
    return "";
  }
}

/** One line per Centrifugo frame: `connect #1`, `reply #1`, `push channel-chat:3`, `ping`. */
function frameSummary(f: unknown): string {
  if (f === null || typeof f !== "object") return String(f).slice(0, 60);
  const o = f as Record<string, unknown>;
  const keys = Object.keys(o).filter((k) => k !== "id");
  if (keys.length === 0) return o.id === undefined ? "ping/pong" : `reply #${String(o.id)}`;
  if ("push" in o) {
    const p = o.push as { channel?: unknown; pub?: { data?: { type?: unknown } } } | null;
    const type = p?.pub?.data?.type;
    return `push ${String(p?.channel ?? "")}${typeof type === "string" ? ` ${type}` : ""}`;
  }
  if ("error" in o) {
    const e = o.error as { code?: unknown; message?: unknown } | null;
    return `error #${String(o.id)} ${String(e?.code ?? "")} ${String(e?.message ?? "")}`.trim();
  }
  const method = keys[0] ?? "";
  const channel = (o[method] as { channel?: unknown } | null)?.channel;
  return `${method}${o.id !== undefined ? ` #${String(o.id)}` : ""}${typeof channel === "string" ? ` ${channel}` : ""}`;
}
