import { type Logger, type LoggerOptions, pino } from "pino";
import { redact } from "./redact.js";

export type { Logger };

export interface LogOptions {
  level?: LoggerOptions["level"];
  /** Where lines go; defaults to stderr so stdout stays free for machine output (`--json`). */
  destination?: NodeJS.WritableStream | { write(line: string): unknown };
  name?: string;
}

/**
 * Structured logger, quiet by default (`warn`), secrets redacted at any depth: pino's own
 * `redact` needs fixed paths, so a formatter walks the object instead.
 */
export function createLogger(options: LogOptions = {}): Logger {
  const destination = options.destination ?? process.stderr;
  return pino(
    {
      name: options.name ?? "switchboard",
      level: options.level ?? process.env.SWITCHBOARD_LOG_LEVEL ?? "warn",
      formatters: { log: (obj) => redact(obj) },
      base: undefined,
    },
    destination as pino.DestinationStream,
  );
}

/** A logger that discards everything (library default when the user passes none). */
export const silentLogger: Logger = pino({ level: "silent" });
