/**
 * Webhook delivery survives a restart: an update whose delivery kept failing before the sandbox
 * stopped is delivered, once, after it starts again on the same database file.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { type BotWorld, startBotWorld } from "./harness.js";

const dir = mkdtempSync(join(tmpdir(), "maxbot-webhook-restart-"));
const worlds: BotWorld[] = [];
let server: Server | undefined;

afterAll(async () => {
  await Promise.allSettled(worlds.map((w) => w.close()));
  server?.closeAllConnections();
  await new Promise((r) => (server ? server.close(r) : r(undefined)));
  rmSync(dir, { recursive: true, force: true });
});

describe("webhook delivery across a restart", () => {
  it("delivers after the restart what failed before it, exactly once", async () => {
    const data = join(dir, "sandbox.db");
    const fast = { maxbot: { updates: { webhook: { retryMinMs: 100, retryMaxMs: 150 } } } };
    let failing = true;
    const got: string[] = [];
    server = createServer((req, res) => {
      let body = "";
      req.on("data", (c: Buffer) => {
        body += c.toString("utf8");
      });
      req.on("end", () => {
        if (failing) {
          res.writeHead(503).end();
          return;
        }
        got.push((JSON.parse(body) as { message?: { body: { text: string } } }).message?.body.text ?? "");
        res.writeHead(200).end();
      });
    });
    await new Promise<void>((resolve) => server?.listen(0, "127.0.0.1", resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;

    const first = await startBotWorld({ data, ...fast });
    worlds.push(first);
    const bot = await first.createBot("Restarted hook bot");
    const alice = await first.user("Alice");
    const sub = await fetch(`${first.botApi}/subscriptions`, {
      method: "POST",
      headers: { authorization: bot.token, "content-type": "application/json" },
      body: JSON.stringify({ url, update_types: ["message_created"] }),
    });
    expect(sub.status).toBe(200);
    await alice.sendToUser(bot.userId, "survives");
    await new Promise((r) => setTimeout(r, 400));
    await first.close();
    worlds.pop();
    expect(got).toEqual([]);

    failing = false;
    const second = await startBotWorld({ data, ...fast });
    worlds.push(second);
    const deadline = Date.now() + 10_000;
    while (got.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    await new Promise((r) => setTimeout(r, 500));
    expect(got).toEqual(["survives"]);
  }, 60_000);
});
