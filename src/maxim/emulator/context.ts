import { createHash, randomBytes } from "node:crypto";
import type { z } from "zod";
import type { HttpMethod } from "../../core/endpoint.js";
import type { Logger } from "../../core/log.js";
import type { Database } from "../../core/storage.js";
import { describeError, type MaxImAuth, type MaxImEndpoint } from "../protocol.js";
import type { MaxImStore } from "./store/index.js";

/** A business error: answered as HTTP 200 `{code, message, data: null}`. */
export class MaxImFault extends Error {
  constructor(
    readonly code: number,
    message?: string,
  ) {
    super(message ?? describeError(code));
  }
}

export function fail(code: number, message?: string): never {
  throw new MaxImFault(code, message);
}

export interface AppLimits {
  /** Groups alive in one app (20007). */
  appGroups: number;
  /** Groups one user may own (20008). */
  userGroups: number;
  /** Groups one user may be a member of (20009). */
  joinedGroups: number;
  /** Members per group (20010). */
  groupCapacity: number;
  /** Kicks from one group after which the user may not join it again (20016). */
  kicks: number;
  /** Users the app's license allows (30023). */
  licenseUsers: number;
}

export interface AppConfig {
  limits: AppLimits;
  /** Push feature enabled (else 12006). */
  push: boolean;
  /** Group announcements enabled by the app's admin (else publishing one answers 20021). */
  announcements: boolean;
  /** User token lifetime. */
  tokenTtlSec: number;
  /** Group QR code lifetime. */
  qrTtlMs: number;
  /** A user is online while one of its unexpired tokens was used within this many seconds. */
  onlineWindowSec: number;
}

export const DEFAULT_APP_CONFIG: AppConfig = {
  limits: {
    appGroups: 100_000,
    userGroups: 1000,
    joinedGroups: 2000,
    groupCapacity: 2000,
    kicks: 3,
    licenseUsers: 1_000_000,
  },
  push: true,
  announcements: true,
  tokenTtlSec: 7 * 24 * 3600,
  qrTtlMs: 7 * 24 * 3600_000,
  onlineWindowSec: 300,
};

export type License = "valid" | "invalid" | "expired";

export interface AppRecord {
  appId: string;
  adminTokenHash: string;
  license: License;
  config: AppConfig;
  /** Secret for QR signatures, derived from the admin token hash. */
  qrKey: string;
}

export interface FaultRule {
  code: number;
  path?: string;
  remaining: number;
}

export interface Emu {
  db: Database;
  log: Logger;
  now(): number;
  /** Every SQL statement on the maxim_* tables. */
  store: MaxImStore;
  apps: Map<string, AppRecord>;
  faults: FaultRule[];
  nextId(name: "user" | "group" | "message" | "roster"): number;
  /**
   * Runs `fn` in a transaction shared with the other writes of this event-loop turn (group
   * commit), each in its own savepoint: a failing `fn` rolls back alone and rejects. Resolves
   * only after the shared transaction committed, so an answer never acknowledges unsaved data.
   */
  batch<T>(fn: () => T): Promise<T>;
}

export interface Ctx {
  emu: Emu;
  app: AppRecord;
  /** The access-token is the app's admin token. */
  admin: boolean;
  /** The user the request acts as: the user token's owner or the admin's `user_id` header. */
  actor: number | null;
  now: number;
  /** The request's User-Agent (device records). */
  userAgent: string;
  requireActor(): number;
}

export type Method = HttpMethod;
export type Auth = MaxImAuth;

/** Envelope extras for paged answers (`cursor`, `version`, `total`). */
export class Paged {
  constructor(
    readonly data: unknown,
    readonly extra: { cursor?: string; version?: number; total?: number },
  ) {}
}

/** Parsed input of an endpoint's query string (its request, or its extra `query`). */
type QueryOut<E extends MaxImEndpoint> = E["in"] extends "query"
  ? z.output<E["request"]>
  : E["query"] extends z.ZodType
    ? z.output<E["query"]>
    : undefined;
type BodyOut<E extends MaxImEndpoint> = E["in"] extends "body" ? z.output<E["request"]> : undefined;

/** One emulator route: an entry of the endpoint table (method, path, auth, schemas) and its handler. */
export interface RouteDef {
  endpoint: MaxImEndpoint;
  /** Runs on the raw body before schema validation (codes that must win over 10002). */
  preValidate?(body: unknown): void;
  handle(ctx: Ctx, query: unknown, body: unknown): unknown;
}

/** Methods the route answers: the table's method and its `also`. */
export function routeMethods(def: RouteDef): Method[] {
  return [def.endpoint.method, ...(def.endpoint.also ?? [])];
}

/** Typed route declaration: the handler sees the endpoint's schemas' outputs. */
export function route<E extends MaxImEndpoint>(def: {
  endpoint: E;
  preValidate?(body: unknown): void;
  handle(ctx: Ctx, query: QueryOut<E>, body: BodyOut<E>): unknown;
}): RouteDef {
  return def as unknown as RouteDef;
}

export function hashSecret(value: string): string {
  return createHash("sha256").update(value).digest("hex");
}

export function newToken(): string {
  return randomBytes(32).toString("base64url");
}

export const bool = (v: number | boolean): boolean => v === true || v === 1;
