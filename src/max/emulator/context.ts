import type { z } from "zod";
import type { Logger } from "../../core/log.js";
import type { Database } from "../../core/storage.js";
import type { RequestSchemas } from "../protocol.js";
import type { MaxConnection } from "./connection.js";
import type { Faults } from "./faults.js";
import type { Hub } from "./hub.js";
import type { IdAllocator } from "./store/ids.js";
import type { Repos } from "./store/index.js";
import type { WorldEvents } from "./world-events.js";

export interface MaxEmulatorConfig {
  /** Fixed SMS code for scripts (`--sms-code`); random 6 digits when unset. */
  smsCode?: string;
  /** Close connections that send nothing (no keepalive) for this long. Seed: keepalive every 30 s. */
  idleTimeoutMs: number;
  /** Folder for uploaded files. */
  dataDir: string;
  /** Public base URL of this emulator's HTTP side (upload / download links), no trailing slash. */
  publicHttpUrl: () => string;
  /** QR login links live this long. */
  qrTtlMs: number;
}

/** Things the sandbox wants to hear about (SMS codes for the console and log, QR requests). */
export interface MaxEmulatorHooks {
  onSms?(phone: string, code: string): void;
  onQrRequested?(trackId: string, qrLink: string): void;
}

/** Shared state of one running emulator, handed to every handler. */
export interface MaxEmulator {
  db: Database;
  repos: Repos;
  ids: IdAllocator;
  hub: Hub;
  faults: Faults;
  config: MaxEmulatorConfig;
  hooks: MaxEmulatorHooks;
  log: Logger;
  /** Changes the Bot API emulator listens to (idle, and free, while nobody subscribes). */
  events: WorldEvents;
  now(): number;
}

export interface HandlerContext {
  emu: MaxEmulator;
  conn: MaxConnection;
  seq: number;
  opcode: number;
}

type Schemas = typeof RequestSchemas;

/** The handler of one opcode; who may send it is the endpoint table's `auth` (protocol/rpc.ts). */
export interface HandlerDef<O extends keyof Schemas = keyof Schemas> {
  handle(ctx: HandlerContext, payload: z.output<Schemas[O]>): unknown | Promise<unknown>;
}

export type HandlerTable = { [O in keyof Schemas]?: HandlerDef<O> };

/** Helper that keeps each table's payload types tied to its opcode. */
export function handlers(table: HandlerTable): HandlerTable {
  return table;
}

/** The user id of a logged-in connection (handlers with state `online` can rely on it). */
export function me(ctx: HandlerContext): number {
  const id = ctx.conn.userId;
  if (id === undefined) throw new Error("handler for logged-in sessions ran without a user");
  return id;
}
