/**
 * Seed files: a declarative description of the world a sandbox starts with (`--seed file.yaml`,
 * format in docs/seeds.md). This file knows no platform: the file is a strict object whose keys
 * are the platforms' sections (`max:`, `maxim:` …), each checked with the SeedSection schema its
 * emulator plugin offers and applied through that section's `apply`.
 *
 * Reading happens before anything opens: YAML errors and unknown top-level keys stop the start
 * there. The sections are checked once the emulators exist (before anything listens), applied once
 * every face listens. Every problem names the file, the line and column, the YAML path and what is
 * wrong (`invalid seed demo.yaml:12:9: max.users[0].phone: must be …`).
 */
import { readFileSync } from "node:fs";
import { LineCounter, parseDocument } from "yaml";
import { z } from "zod";
import { type SeededAccount, SeedProblem, type SeedSection } from "../../core/emulator/plugin.js";

/** A seed file that can't be read, parsed, validated or applied. */
export class SeedError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "SeedError";
  }
}

type Path = readonly PropertyKey[];

/** A seed read and parsed (YAML, or an object given in code), not yet checked against the platforms. */
export interface LoadedSeed {
  /** Where it came from, for messages: a file path, or e.g. "demo". */
  source: string;
  /** The document as plain data: `{description?, max?, maxim?, …}`. */
  seed: Record<string, unknown>;
  /** `file:line:col` of the value at a path (the nearest node it reaches), or the source. */
  where(path: Path): string;
}

/** A seed whose sections passed their platforms' schemas (defaults filled in). */
export interface CheckedSeed {
  source: string;
  /** Section values by platform, in the order the plugins were given. */
  sections: Map<string, unknown>;
  where(path: Path): string;
}

export interface SeedReport {
  source: string;
  /** Every account the seed created or found, platform by platform, in file order. */
  accounts: SeededAccount[];
}

/** `max.users[0].phone` */
export function formatPath(path: Path): string {
  let out = "";
  for (const p of path) out += typeof p === "number" ? `[${p}]` : `${out ? "." : ""}${String(p)}`;
  return out || "(top level)";
}

const MAX_SHOWN = 10;

function fail(source: string, lines: string[], cause?: unknown): never {
  const shown = lines.slice(0, MAX_SHOWN);
  if (lines.length > MAX_SHOWN) shown.push(`… and ${lines.length - MAX_SHOWN} more`);
  throw new SeedError(
    lines.length === 1 ? `invalid seed ${shown[0]}` : `invalid seed ${source}:\n  ${shown.join("\n  ")}`,
    cause === undefined ? undefined : { cause },
  );
}

function valueAt(value: unknown, path: Path): unknown {
  let v = value;
  for (const p of path)
    v = v !== null && typeof v === "object" ? (v as Record<PropertyKey, unknown>)[p] : undefined;
  return v;
}

interface Issue {
  path: (string | number)[];
  message: string;
}

function zodIssues(error: z.ZodError, value: unknown): Issue[] {
  const out: Issue[] = [];
  for (const i of error.issues) {
    const path = i.path.filter((p): p is string | number => typeof p !== "symbol");
    if (i.code === "unrecognized_keys") {
      for (const key of i.keys) out.push({ path: [...path, key], message: `unknown key "${key}"` });
    } else if (i.code === "invalid_type" && valueAt(value, path) === undefined) {
      out.push({ path, message: "is required" });
    } else out.push({ path, message: i.message });
  }
  return out;
}

function report(loaded: { source: string; where(path: Path): string }, issues: Issue[]): never {
  fail(
    loaded.source,
    issues.map((i) => `${loaded.where(i.path)}: ${formatPath(i.path)}: ${i.message}`),
  );
}

/** Parses seed text (YAML, or JSON, which is YAML too); its sections are checked later. */
export function parseSeed(text: string, source: string): LoadedSeed {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, uniqueKeys: true, prettyErrors: false });
  if (doc.errors.length) {
    fail(
      source,
      doc.errors.map((e) => {
        const pos = lineCounter.linePos(e.pos[0]);
        return `${source}:${pos.line}:${pos.col}: YAML: ${e.message.split("\n")[0]}`;
      }),
    );
  }
  const where = (path: Path): string => {
    // The nearest node the path reaches (a missing key points at its parent).
    for (let n = path.length; n >= 0; n--) {
      const node = n === 0 ? doc.contents : doc.getIn(path.slice(0, n) as unknown[], true);
      const range = (node as { range?: [number, number, number] } | null | undefined)?.range;
      if (range) {
        const pos = lineCounter.linePos(range[0]);
        return `${source}:${pos.line}:${pos.col}`;
      }
    }
    return source;
  };
  return asLoaded(doc.toJS() ?? {}, source, where);
}

/** A seed given as a plain object (e.g. from a test); messages name `source` without lines. */
export function validateSeed(value: unknown, source = "seed"): LoadedSeed {
  return asLoaded(value, source, () => source);
}

function asLoaded(value: unknown, source: string, where: (path: Path) => string): LoadedSeed {
  const r = z.record(z.string(), z.unknown()).safeParse(value);
  if (!r.success)
    report({ source, where }, [{ path: [], message: "must be a mapping of platform sections" }]);
  return { source, seed: r.data, where };
}

/** Reads and parses a seed file. */
export function loadSeedFile(file: string): LoadedSeed {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === "ENOENT" ? "no such file" : code === "EISDIR" ? "is a directory" : String(err);
    throw new SeedError(`cannot read seed file ${file}: ${why}`, { cause: err });
  }
  return parseSeed(text, file);
}

/** The keys a seed file may have: `description` and one section per platform. */
function fileSchema(sections: ReadonlyMap<string, z.ZodType | undefined>): z.ZodType {
  const shape: Record<string, z.ZodType> = { description: z.string().optional() };
  // A platform without a section is not a key: "unknown key" like any other.
  for (const [platform, schema] of sections) if (schema) shape[platform] = schema.optional();
  return z.strictObject(shape);
}

/**
 * Refuses top-level keys no platform owns, before anything is opened (the sections themselves
 * are checked by checkSeed once the emulators exist).
 */
export function checkSeedKeys(loaded: LoadedSeed, platforms: readonly string[]): void {
  const known = new Set(["description", ...platforms]);
  const unknown = Object.keys(loaded.seed).filter((k) => !known.has(k));
  if (unknown.length)
    report(
      loaded,
      unknown.map((k) => ({ path: [k], message: `unknown key "${k}"` })),
    );
}

/** Checks every section with its platform's schema; throws SeedError listing each problem at its place. */
export function checkSeed(
  loaded: LoadedSeed,
  sections: ReadonlyMap<string, SeedSection | undefined>,
): CheckedSeed {
  const schemas = new Map([...sections].map(([p, s]) => [p, s?.schema]));
  const r = fileSchema(schemas).safeParse(loaded.seed);
  if (!r.success) report(loaded, zodIssues(r.error, loaded.seed));
  const data = r.data as Record<string, unknown>;
  const out = new Map<string, unknown>();
  for (const platform of sections.keys()) if (data[platform] !== undefined) out.set(platform, data[platform]);
  return { source: loaded.source, sections: out, where: loaded.where };
}

/**
 * Applies each section through its platform's SeedSection, in plugin order. A SeedProblem (a
 * reference that does not resolve, a value an emulator refuses) is reported at its place; paths
 * may be given from the file's root (`["max", "users", 0]`) or from the section's.
 */
export async function applySeed(
  checked: CheckedSeed,
  sections: ReadonlyMap<string, SeedSection | undefined>,
): Promise<SeedReport> {
  const out: SeedReport = { source: checked.source, accounts: [] };
  for (const [platform, value] of checked.sections) {
    const section = sections.get(platform);
    if (!section) continue;
    const absolute = (path: Path): Path => (path[0] === platform ? path : [platform, ...path]);
    const at = (path: Path) => `${checked.where(absolute(path))} (${formatPath(absolute(path))})`;
    try {
      out.accounts.push(...(await section.apply(value, at)));
    } catch (err) {
      if (err instanceof SeedError) throw err;
      if (err instanceof SeedProblem) {
        const path = absolute(err.path);
        fail(checked.source, [`${checked.where(path)}: ${formatPath(path)}: ${err.message}`], err);
      }
      const message = err instanceof Error ? err.message : String(err);
      throw new SeedError(`seed ${checked.source}: ${platform}: ${message}`, { cause: err });
    }
  }
  return out;
}
