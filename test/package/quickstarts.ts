/**
 * The docs' quick starts, as the docs write them: every fenced block tagged `ts quickstart` in
 * docs/*.md, and the CommonJS form the README gives (its `ts quickstart-commonjs` block: the
 * imports first, the body inside `async function main()`).
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { root } from "./entries.js";

export interface QuickStart {
  /** The guide's name: "max" for docs/max.md. */
  doc: string;
  code: string;
}

function fencedBlocks(markdown: string, tag: string): string[] {
  const blocks: string[] = [];
  const fence = /^```ts (\S+)\n([\s\S]*?)^```$/gm;
  for (const match of markdown.matchAll(fence)) if (match[1] === tag) blocks.push(match[2]!);
  return blocks;
}

export function docsQuickStarts(): QuickStart[] {
  const docs = join(root, "docs");
  return readdirSync(docs)
    .filter((file) => file.endsWith(".md"))
    .sort()
    .flatMap((file) =>
      fencedBlocks(readFileSync(join(docs, file), "utf8"), "quickstart").map((code) => ({
        doc: file.replace(/\.md$/, ""),
        code,
      })),
    );
}

/** The README's CommonJS recipe applied to a quick start. */
export function asCommonJs(code: string): string {
  const [recipe, ...more] = fencedBlocks(
    readFileSync(join(root, "README.md"), "utf8"),
    "quickstart-commonjs",
  );
  if (!recipe || more.length > 0) throw new Error("README.md must have one `ts quickstart-commonjs` block");
  const lines = code.split("\n");
  const imports = lines.filter((line) => line.startsWith("import "));
  const body = lines.filter((line) => !line.startsWith("import "));
  const recipeLines = recipe.split("\n");
  const placeholder = recipeLines.findIndex((line) => line.includes("… the body of any docs example …"));
  if (placeholder < 0) throw new Error("the README's CommonJS recipe lost its `… the body …` line");
  return [
    ...imports,
    ...recipeLines.slice(0, placeholder).filter((line) => !line.startsWith("import ")),
    ...body.map((line) => (line ? `  ${line}` : line)),
    ...recipeLines.slice(placeholder + 1),
  ].join("\n");
}
