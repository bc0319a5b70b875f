/**
 * The API report: for each public entry in package.json `exports`, every exported name with its
 * declared signature (as tsc's declaration emit writes it, comments dropped), sorted by name, in
 * api/<entry>.api.md. `npm run api` rewrites the files; `npm run api -- --check` (and
 * test/package/api-report.test.ts) fails when they differ from what the sources export, so the
 * public surface changes only on purpose: regenerate, then review the diff.
 *
 * Uses the TypeScript compiler API directly (no api-extractor: it wants one entry per config and a
 * build first; here one in-memory program covers all entries and needs no dist/).
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
export const API_DIR = join(root, "api");

interface Entry {
  specifier: string;
  source: string;
  report: string;
}

function entries(): Entry[] {
  const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as {
    name: string;
    exports: Record<string, { import: string }>;
  };
  return Object.entries(pkg.exports).map(([subpath, target]) => ({
    specifier: subpath === "." ? pkg.name : `${pkg.name}/${subpath.slice(2)}`,
    source: target.import.replace(/^\.\/dist\//, "src/").replace(/\.js$/, ".ts"),
    report: subpath === "." ? `${pkg.name}.api.md` : `${subpath.slice(2).replaceAll("/", "-")}.api.md`,
  }));
}

function compilerOptions(): ts.CompilerOptions {
  const file = join(root, "tsconfig.json");
  const config = ts.readConfigFile(file, ts.sys.readFile);
  const parsed = ts.parseJsonConfigFileContent(config.config, ts.sys, root, undefined, file);
  return {
    ...parsed.options,
    noEmit: false,
    declaration: true,
    emitDeclarationOnly: true,
    declarationMap: false,
    sourceMap: false,
    outDir: join(root, "dist"),
    rootDir: join(root, "src"),
  };
}

const printer = ts.createPrinter({ removeComments: true, newLine: ts.NewLineKind.LineFeed });

/** Declaration files emitted in memory, one source file at a time, on demand. */
class Declarations {
  private readonly cache = new Map<string, ts.SourceFile>();
  constructor(private readonly program: ts.Program) {}

  of(source: ts.SourceFile): ts.SourceFile {
    let dts = this.cache.get(source.fileName);
    if (!dts) {
      let text = "";
      // The 6th argument, forceDtsEmit, is internal to tsc (absent from its typings): it emits the
      // declarations without type-checking all of the file first, which makes the report ~3x
      // faster. A TypeScript without it ignores the extra argument and is only slower.
      const emit = this.program.emit as (...args: unknown[]) => ts.EmitResult;
      const result = emit.call(
        this.program,
        source,
        (name: string, data: string) => {
          if (name.endsWith(".d.ts")) text = data;
        },
        undefined,
        true,
        undefined,
        true,
      );
      if (result.emitSkipped || text === "")
        throw new Error(`api-report: no declarations emitted for ${relative(root, source.fileName)}`);
      dts = ts.createSourceFile(
        source.fileName.replace(/\.ts$/, ".d.ts"),
        text,
        ts.ScriptTarget.Latest,
        true,
      );
      this.cache.set(source.fileName, dts);
    }
    return dts;
  }
}

function declaredNames(statement: ts.Statement): string[] {
  if (ts.isVariableStatement(statement))
    return statement.declarationList.declarations.flatMap((d) =>
      ts.isIdentifier(d.name) ? [d.name.text] : [],
    );
  const name = (statement as { name?: ts.Node }).name;
  return name && (ts.isIdentifier(name) || ts.isStringLiteral(name)) ? [name.text] : [];
}

/** Where a declaration outside src/ comes from: the package name, or the file. */
function origin(file: string): string {
  const match = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(file.split("\\").join("/"));
  return match ? match[1]! : relative(root, file);
}

function render(name: string, symbol: ts.Symbol, declarations: Declarations): string {
  const decls = symbol.declarations ?? [];
  if (decls.length === 0) return `// ${name}: cannot be resolved (run tsc for the error)`;
  const sources = [...new Set(decls.map((d) => d.getSourceFile()))];
  const parts: string[] = [];
  if (symbol.name !== name && symbol.name !== "default") parts.push(`// exported as ${name}`);
  for (const source of sources) {
    if (!source.fileName.startsWith(join(root, "src"))) {
      parts.push(`// ${name}: re-exported from "${origin(source.fileName)}"`);
      continue;
    }
    const dts = declarations.of(source);
    const found = dts.statements.filter((s) => declaredNames(s).includes(symbol.name));
    if (found.length === 0) parts.push(`// ${name}: declared in ${relative(root, source.fileName)}`);
    for (const statement of found) parts.push(printer.printNode(ts.EmitHint.Unspecified, statement, dts));
  }
  return parts.join("\n");
}

/** Every report file name → its text. Throws when an entry's source file is missing. */
export function generateApiReports(): Map<string, string> {
  const list = entries();
  const missing = list.filter((entry) => !existsSync(join(root, entry.source)));
  if (missing.length > 0)
    throw new Error(
      `api-report: no source for ${missing.map((e) => `${e.specifier} (${e.source})`).join(", ")}`,
    );
  const program = ts.createProgram(
    list.map((entry) => join(root, entry.source)),
    compilerOptions(),
  );
  const checker = program.getTypeChecker();
  const declarations = new Declarations(program);
  const reports = new Map<string, string>();
  for (const entry of list) {
    const source = program.getSourceFile(join(root, entry.source))!;
    const moduleSymbol = checker.getSymbolAtLocation(source);
    const exported = moduleSymbol ? checker.getExportsOfModule(moduleSymbol) : [];
    const sorted = [...exported].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    const blocks = sorted.map((symbol) => {
      const target = symbol.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(symbol) : symbol;
      return render(symbol.name, target, declarations);
    });
    const text = [
      `# API report: \`${entry.specifier}\``,
      "",
      `<!-- Generated by \`npm run api\` (scripts/api-report.ts) from ${entry.source}. Do not edit. -->`,
      "",
      `${sorted.length} exported names.`,
      "",
      "```ts",
      blocks.join("\n\n"),
      "```",
      "",
    ].join("\n");
    reports.set(entry.report, text);
  }
  return reports;
}

/** Differences between the generated reports and api/: one line per file. */
export function compareApiReports(reports: Map<string, string>): string[] {
  const problems: string[] = [];
  const onDisk = existsSync(API_DIR) ? readdirSync(API_DIR).filter((f) => f.endsWith(".api.md")) : [];
  for (const [file, text] of reports) {
    const path = join(API_DIR, file);
    if (!existsSync(path)) problems.push(`api/${file} is missing`);
    else if (readFileSync(path, "utf8") !== text) problems.push(`api/${file} differs from the sources`);
  }
  for (const file of onDisk) if (!reports.has(file)) problems.push(`api/${file} belongs to no entry`);
  return problems;
}

function main(): void {
  const started = Date.now();
  const reports = generateApiReports();
  if (process.argv.includes("--check")) {
    const problems = compareApiReports(reports);
    if (problems.length > 0) {
      console.error(
        `The public API changed:\n  ${problems.join("\n  ")}\n` +
          "Run `npm run api` and review the diff of api/ before committing it.",
      );
      process.exit(1);
    }
    console.log(`api/: ${reports.size} reports up to date (${Date.now() - started} ms)`);
    return;
  }
  mkdirSync(API_DIR, { recursive: true });
  for (const file of readdirSync(API_DIR))
    if (file.endsWith(".api.md") && !reports.has(file)) rmSync(join(API_DIR, file));
  for (const [file, text] of reports) writeFileSync(join(API_DIR, file), text);
  console.log(`api/: ${reports.size} reports written (${Date.now() - started} ms)`);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main();
