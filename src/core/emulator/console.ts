/**
 * What a platform plugs into the sandbox console. One provider file per platform
 * (providers/max.ts, providers/maxim.ts …): the console's routes, live feed and page are
 * generic and only call what a provider offers. Every method is optional except the identity;
 * the page shows a section only when its provider implements it.
 */

import type { z } from "zod";
import { issuesText } from "../validation.js";

/** A thing the caller got wrong (unknown account, bad body): answered as `{error}` with this status. */
export class ConsoleError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** A form post without the empty strings (and nulls) of its untouched optional fields. */
export function formFields(input: unknown): unknown {
  if (!input || typeof input !== "object" || Array.isArray(input)) return input;
  return Object.fromEntries(Object.entries(input).filter(([, v]) => v !== "" && v !== null));
}

/** `value` read with `schema`, or a 400 naming each issue (`path: message; …`). */
export function parseOr400<T extends z.ZodType>(schema: T, value: unknown): z.output<T> {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  throw new ConsoleError(400, issuesText(r.error));
}

export interface ConsoleAccount {
  /** The platform's own id, as a string (MAX user id, MaxIM user id, QQ number …). */
  id: string;
  name: string;
  /** Phone, username, app … whatever tells accounts apart to a human. */
  detail?: string;
  online?: boolean;
}

export interface ConsoleChat {
  id: string;
  /** `direct`, `group`, `channel`, `stream` (the unified model's kinds). */
  kind: "direct" | "group" | "channel" | "stream";
  title: string;
  members?: number;
  /** ms since epoch of the last activity, for sorting. */
  lastActivity?: number;
}

export interface ConsoleAttachment {
  type: string;
  name?: string;
  /** A console URL that shows the file (same origin), when it is stored in the sandbox. */
  previewUrl?: string;
  mime?: string;
}

export interface ConsoleMessage {
  id: string;
  chatId: string;
  authorId: string;
  authorName: string;
  time: number;
  text: string;
  edited?: boolean;
  attachments?: ConsoleAttachment[];
}

/** An SMS code, a QR login waiting for a phone, a captcha, an OAuth consent … */
export interface ConsoleInboxItem {
  id: string;
  platform: string;
  kind: "sms" | "qr" | "captcha" | "consent";
  time: number;
  /** Who it is for: a phone, an account, a client id. */
  to: string;
  /** The code to read (SMS), the link (QR) … */
  value?: string;
  status: "new" | "pending" | "confirmed" | "expired";
  /** True when the console can act on it (confirm a QR login, grant a consent). */
  confirmable?: boolean;
}

export interface ConsoleFile {
  id: string;
  name: string;
  mime: string;
  size: number;
  ownerId?: string;
  time: number;
  /** Same-origin URL the page can use in <img>/<a>. */
  previewUrl: string;
}

/** A file to stream from disk (`path`), or one whose bytes the emulator keeps elsewhere (`bytes`, e.g. in SQLite). */
export type ConsoleFileContent =
  | { path: string; mime: string; name: string; size: number }
  | { bytes: Uint8Array; mime: string; name: string };

/** One packet (WebSocket frame) or HTTP exchange, with secrets already masked by the provider. */
export interface TrafficRecord {
  /** Assigned by the console bus, increasing. */
  id?: number;
  platform: string;
  dir: "in" | "out";
  time: number;
  size: number;
  /** The account the connection / request belongs to, when known. */
  account?: string;
  /** Connection id for socket protocols. */
  conn?: string;
  /** MAX opcode (number) and its name. */
  opcode?: number;
  opcodeName?: string;
  /** HTTP method + path for request/response protocols (query secrets masked). */
  method?: string;
  path?: string;
  status?: number;
  /** A one-line summary for the list (e.g. `cmd 1 seq 7`). */
  summary?: string;
  payload: unknown;
}

/** A generic read-only table (MaxIM pushes, apps …): lets a provider show its records without UI code. */
export interface ConsoleTable {
  id: string;
  title: string;
  columns: string[];
  rows: Record<string, unknown>[];
}

/** One form field of a fault action; the page builds the form from this. */
export interface FaultField {
  name: string;
  label: string;
  type: "number" | "text" | "account" | "select";
  options?: string[];
  default?: string | number;
  optional?: boolean;
}

export interface FaultAction {
  action: string;
  label: string;
  fields: FaultField[];
}

/** How a provider reports what happens live; the console fans it out over SSE. */
export interface ConsoleSink {
  traffic(record: TrafficRecord): void;
  /** New or changed inbox items. */
  inbox(item: ConsoleInboxItem): void;
  /** Something in accounts/chats/messages changed: pages refetch what they show. */
  changed(scope: { chatId?: string }): void;
  /** A fault was applied (shown in the page's log). */
  notice(text: string): void;
}

export interface ConsoleProvider {
  /** The platform id used in URLs (`max`, `maxim`, `webqq`, `vklive`). */
  readonly id: string;
  readonly title: string;
  /** Where the emulator listens (shown in the page). */
  url(): string;

  /** Called once when the console starts. Keep hooks cheap; see `setTraffic`. */
  attach?(sink: ConsoleSink): void;
  /** Traffic capture on/off: the console turns it on only while someone watches (a page or a recorder). */
  setTraffic?(on: boolean): void;

  accounts?(): ConsoleAccount[];
  /** All chats, or the chats of one account (`as`). */
  chats?(as?: string): ConsoleChat[];
  messages?(chatId: string, options: { as?: string; limit: number }): ConsoleMessage[];
  /** Writes as an account into a chat, or into its direct chat with `to`. */
  send?(input: {
    as: string;
    chatId?: string;
    to?: string;
    text: string;
  }): { chatId: string; messageId: string } | Promise<{ chatId: string; messageId: string }>;
  /** What `createChat` makes, for the "+" form (default: `group` and `channel`). */
  readonly chatKinds?: readonly ("group" | "channel")[];
  createChat?(input: {
    as: string;
    kind: "group" | "channel";
    title: string;
    members: string[];
  }): { chatId: string } | Promise<{ chatId: string }>;
  inbox?(): ConsoleInboxItem[];
  confirm?(itemId: string, as: string): void;
  files?(): ConsoleFile[];
  file?(id: string): ConsoleFileContent | undefined;
  tables?(): ConsoleTable[];
  /** The fault actions the page offers, and how to apply one (body = `{action, …fields}`). */
  faultActions?(): FaultAction[];
  applyFault?(body: unknown): Record<string, unknown>;
}
