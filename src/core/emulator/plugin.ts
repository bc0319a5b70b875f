/**
 * What a platform's emulator offers the sandbox. The sandbox runner knows platforms only through
 * these: it opens one store with every plugin's store module, creates each emulator on it, makes
 * each listen on its face's port, mounts each one's admin routes and console provider on the
 * console port, applies each one's section of a seed file, and closes them in turn. It runs no
 * SQL on platform tables and imports nothing from an emulator's internals.
 */
import type { FastifyInstance } from "fastify";
import type { z } from "zod";
import type { Logger } from "../log.js";
import type { PlatformName } from "../model.js";
import type { Database, StoreModule } from "../storage.js";
import type { Clock } from "./clock.js";
import type { ConsoleProvider } from "./console.js";

/** Everything an emulator gets from the sandbox. */
export interface EmulatorContext {
  /** The one sandbox database; the plugin's store module has been migrated on it. */
  db: Database;
  /** A folder of the platform's own for files (uploads), created by the sandbox. */
  dataDir: string;
  log: Logger;
  clock: Clock;
  /** Every face's URL once all listen (for links the emulator hands out, console tables). */
  urls(): Readonly<Record<string, string>>;
}

/** One account a seed created (or found already there), for the start-up banner. */
export interface SeededAccount {
  platform: PlatformName;
  /** What one logs in with: a phone, a username, a QQ number, a nick. */
  login: string;
  name: string;
  id: string;
  /** False when it was already in the store (a restart with the same seed). */
  created: boolean;
  /** Extra lines for the banner (an admin token, a channel URL). */
  notes?: string[];
}

/** Where a seed value came from, for error messages: `demo.yaml:12 (max.users[0].phone)`. */
export type SeedLocator = (path: readonly PropertyKey[]) => string;

/** The platform's section of a seed file (`max:`, `maxim:` …). */
export interface SeedSection<T = unknown> {
  /** Strict schema of the section (unknown keys refused, natural-key references checked in apply). */
  schema: z.ZodType<T>;
  /**
   * Creates what the section describes, idempotently (a restart with the same seed creates
   * nothing twice). Throws SeedProblem for references that do not resolve.
   */
  apply(section: T, at: SeedLocator): Promise<SeededAccount[]>;
}

/** A seed value that is well-formed but wrong (an unknown member, a duplicate): reported with its place. */
export class SeedProblem extends Error {
  constructor(
    readonly path: readonly PropertyKey[],
    message: string,
  ) {
    super(message);
    this.name = "SeedProblem";
  }
}

/** One running emulator, as the sandbox drives it. */
export interface EmulatorInstance {
  /** Starts listening; resolves to the face's URL (`ws://…/websocket` for MAX, `http://…` else). */
  listen(port: number, host: string, shownHost: string): Promise<string>;
  /** Admin routes under `/_sandbox/<platform>/` (and the fault routes) on the console's app. */
  registerAdmin(app: FastifyInstance): void;
  /** What the web console shows of this platform. */
  readonly console: ConsoleProvider;
  readonly seed?: SeedSection;
  /** Stops listening and ends every connection; the sandbox closes the database after. */
  close(): Promise<void>;
}

export interface EmulatorPlugin<I extends EmulatorInstance = EmulatorInstance> {
  readonly platform: PlatformName;
  /** Shown in messages and the banner ("MAX", "VK Video Live"). */
  readonly title: string;
  readonly store: StoreModule;
  create(context: EmulatorContext): I | Promise<I>;
}
