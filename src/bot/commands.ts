/**
 * Command syntax, the same on every platform: a message whose text starts with a prefix (default
 * "/") and a name, then whitespace and the arguments: `/start`, `/echo hello there`, `!ban 42` with
 * prefixes ["!"]. In groups `/name@botname` is accepted (the @name must be the bot's when the bot
 * knows its username). Names compare case-insensitively (stream-chat users type `!Help`).
 */
import type { PlatformName } from "../core/model.js";

export interface ParsedCommand {
  /** The name as the bot registered it would compare: lower case, without prefix or @botname. */
  command: string;
  /** The text after the name, trimmed ("" when none). */
  args: string;
  prefix: string;
}

/** Prefixes: one list for every platform, or per platform (platforms missing use "/"). */
export type CommandPrefixes = readonly string[] | Partial<Record<PlatformName, readonly string[]>>;

export const DEFAULT_PREFIXES: readonly string[] = ["/"];

export function prefixesFor(
  prefixes: CommandPrefixes | undefined,
  platform: PlatformName,
): readonly string[] {
  if (prefixes === undefined) return DEFAULT_PREFIXES;
  if (Array.isArray(prefixes)) return prefixes as readonly string[];
  return (prefixes as Partial<Record<PlatformName, readonly string[]>>)[platform] ?? DEFAULT_PREFIXES;
}

const NAME = /^([\p{L}\p{N}_-]+)(?:@([\p{L}\p{N}_.]+))?(?=\s|$)/u;

/** Parses `text` as a command; undefined when it is not one. */
export function parseCommand(
  text: string | undefined,
  prefixes: readonly string[],
  botUsername?: string,
): ParsedCommand | undefined {
  if (!text) return undefined;
  const body = text.trimStart();
  // The longest matching prefix wins ("//" before "/").
  const prefix = [...prefixes]
    .sort((a, b) => b.length - a.length)
    .find((p) => p.length > 0 && body.startsWith(p));
  if (prefix === undefined) return undefined;
  const match = NAME.exec(body.slice(prefix.length));
  if (!match) return undefined;
  const [whole, name = "", mention] = match;
  if (mention !== undefined && botUsername !== undefined) {
    if (mention.toLowerCase() !== botUsername.replace(/^@/, "").toLowerCase()) return undefined;
  }
  return { command: name.toLowerCase(), args: body.slice(prefix.length + whole.length).trim(), prefix };
}
