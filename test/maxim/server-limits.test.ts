/** Issue 12 item 8: header, request and idle timeouts and the per-client cap on the MaxIM face. */
import { connect, type Socket } from "node:net";
import { describe, expect, it } from "vitest";
import { closeEachEnv, raw, start, TOKEN } from "./harness.js";

closeEachEnv();

describe("server limits on the MaxIM face (item 8)", () => {
  const open = (base: string) =>
    new Promise<Socket>((resolve, reject) => {
      const u = new URL(base);
      const s = connect(Number(u.port), u.hostname, () => resolve(s));
      s.once("error", reject);
    });

  it("a silent socket is closed while other clients are served", async () => {
    const env = await start({ idleTimeoutMs: 200, headersTimeoutMs: 200 });
    const silent = await open(env.base);
    const closed = new Promise<void>((resolve) => silent.once("close", () => resolve()));
    // Another client is served while the silent one holds its socket.
    const r = await raw(env.base, "GET", "/user/profile", {
      app_id: "welovemaxim",
      "access-token": TOKEN,
      user_id: "2199040544848",
    });
    expect(r.json.code).toBe(200);
    await closed; // bounded by the test timeout: without the limit it never closes
    expect(silent.destroyed).toBe(true);
  });

  it("connections over the per-client cap are closed at once", async () => {
    const env = await start({ maxConnectionsPerClient: 1 });
    const first = await open(env.base);
    const second = await open(env.base);
    await new Promise<void>((resolve) =>
      second.destroyed ? resolve() : second.once("close", () => resolve()),
    );
    expect(second.destroyed).toBe(true);
    first.destroy();
  });
});
