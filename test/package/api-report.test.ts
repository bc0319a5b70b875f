/**
 * The checked-in API report (api/*.api.md) matches what the sources export: the public surface
 * changes only on purpose. When this fails, run `npm run api` and review the diff of api/.
 */
import { describe, expect, it } from "vitest";
import { compareApiReports, generateApiReports } from "../../scripts/api-report.js";
import { entries } from "./entries.js";

describe("API report", () => {
  it("has one report per entry, each up to date", { timeout: 180_000 }, () => {
    const reports = generateApiReports();
    expect(reports.size).toBe(entries.length);
    const problems = compareApiReports(reports);
    expect(
      problems,
      `The public API differs from api/:\n  ${problems.join("\n  ")}\n` +
        "Run `npm run api` and review the diff of api/ before committing it.",
    ).toEqual([]);
  });
});
