// Copies the non-TypeScript files the sandbox reads at run time into dist/ after tsc.
import { cpSync } from "node:fs";

cpSync("src/sandbox/console/static", "dist/sandbox/console/static", { recursive: true });
cpSync("src/sandbox/seed/demo.yaml", "dist/sandbox/seed/demo.yaml");
