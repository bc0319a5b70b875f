import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { WEBQQ_ENDPOINTS } from "../../src/webqq/protocol.js";
import { type Harness, startEmulator } from "./harness.js";

let h: Harness;
beforeAll(async () => {
  h = await startEmulator();
});
afterAll(async () => {
  await h.close();
});

describe("the WebQQ endpoint table and the emulator's routes", () => {
  it("every table entry has an emulator route with its method and path", () => {
    for (const [name, e] of Object.entries(WEBQQ_ENDPOINTS)) {
      expect(h.emu.app.hasRoute({ method: e.method, url: e.path }), `${name} ${e.method} ${e.path}`).toBe(
        true,
      );
    }
  });

  it("the emulator serves no route outside the table (admin routes live on the console app)", () => {
    const table = new Set(Object.values(WEBQQ_ENDPOINTS).map((e) => `${e.method} ${e.path}`));
    const served = h.emu.routes().map((r) => `${r.method} ${r.url}`);
    expect(served.length).toBeGreaterThan(0);
    expect(served.filter((r) => !table.has(r))).toEqual([]);
    expect(new Set(served).size).toBe(table.size);
  });

  it("no path is written twice in the table", () => {
    const keys = Object.values(WEBQQ_ENDPOINTS).map((e) => `${e.method} ${e.path}`);
    expect(new Set(keys).size).toBe(keys.length);
  });
});
