/**
 * Updates survive a restart of the emulator: they are stored in SQLite in the same transaction
 * as the MAX message they describe, so after the sandbox stops and starts again on the same
 * database file, the bot (same token) gets every update it had not committed, and a marker
 * taken before the restart still commits the same updates.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { api, type Sandboxed, startCliSandbox } from "../sandbox/proc.js";
import { type BotWorld, startBotWorld } from "./harness.js";

interface UpdateList {
  updates: { update_type: string; message?: { body: { text: string } } }[];
  marker: number;
}

const dir = mkdtempSync(join(tmpdir(), "maxbot-restart-"));
const worlds: BotWorld[] = [];
const processes: Sandboxed[] = [];

async function updates(world: BotWorld, token: string, query: string): Promise<UpdateList> {
  const res = await fetch(`${world.botApi}/updates?${query}`, { headers: { authorization: token } });
  expect(res.status).toBe(200);
  return (await res.json()) as UpdateList;
}

const texts = (l: UpdateList) => l.updates.map((u) => u.message?.body.text);

afterAll(async () => {
  await Promise.allSettled(worlds.map((w) => w.close()));
  await Promise.allSettled(processes.map((p) => p.stop("SIGKILL")));
  rmSync(dir, { recursive: true, force: true });
});

describe("restart", () => {
  it("keeps uncommitted updates and honours a marker from before the restart", async () => {
    const data = join(dir, "sandbox.db");
    const first = await startBotWorld({ data });
    worlds.push(first);
    const bot = await first.createBot("Durable bot");
    const alice = await first.user("Alice");
    for (const text of ["before-1", "before-2", "before-3"]) await alice.sendToUser(bot.userId, text);
    // Commit the first; read the second without committing it. (The dialog's bot_started is
    // filtered out by `types` and committed with the first marker.)
    const one = await updates(first, bot.token, "timeout=0&limit=1&types=message_created");
    expect(texts(one)).toEqual(["before-1"]);
    const two = await updates(
      first,
      bot.token,
      `timeout=0&limit=1&types=message_created&marker=${one.marker}`,
    );
    expect(texts(two)).toEqual(["before-2"]);
    await first.close();
    worlds.pop();

    const second = await startBotWorld({ data });
    worlds.push(second);
    // Without a marker: everything after the last commit, i.e. before-2 and before-3.
    expect(texts(await updates(second, bot.token, "timeout=0"))).toEqual(["before-2", "before-3"]);
    // The marker handed out before the restart commits before-2.
    const rest = await updates(second, bot.token, `timeout=0&marker=${two.marker}`);
    expect(texts(rest)).toEqual(["before-3"]);
    // New updates after the restart continue the same queue.
    const alice2 = await second.user("Alice again");
    await alice2.sendToUser(bot.userId, "after");
    const after = await updates(second, bot.token, `timeout=5&types=message_created&marker=${rest.marker}`);
    expect(texts(after)).toEqual(["after"]);
    expect(after.marker).toBeGreaterThan(rest.marker);
  }, 60_000);

  it("kill -9 of the sandbox process loses no update a client was not told about", async () => {
    const data = join(dir, "killed.db");
    const first = await startCliSandbox(["--data", data, "--seed", "none"]);
    processes.push(first);
    const urls = first.urls as typeof first.urls & { maxbot: string };
    const bot = (await api(urls.console, "POST", "/_sandbox/maxbot/bots", { name: "Killed bot" })).body as {
      token: string;
      userId: number;
    };
    const user = (
      await api(urls.console, "POST", "/_sandbox/max/users", { phone: "+79550001122", firstName: "Kim" })
    ).body as { userId: number };
    const sent: string[] = [];
    for (const text of ["k1", "k2", "k3", "k4"]) {
      const r = await api(urls.console, "POST", "/_sandbox/max/messages", {
        fromUserId: user.userId,
        toUserId: bot.userId,
        text,
      });
      expect(r.status).toBe(200);
      sent.push(text);
    }
    const poll = async (base: string, query: string) => {
      const res = await fetch(`${base}/updates?${query}`, { headers: { authorization: bot.token } });
      expect(res.status).toBe(200);
      return (await res.json()) as UpdateList;
    };
    const page = await poll(urls.maxbot, "timeout=0&limit=2&types=message_created");
    expect(texts(page)).toEqual(["k1", "k2"]);
    await poll(urls.maxbot, `timeout=0&limit=1&types=message_created&marker=${page.marker}`);
    expect(await first.stop("SIGKILL")).toBe("SIGKILL");

    const second = await startCliSandbox(["--data", data, "--seed", "none"]);
    processes.push(second);
    const base = (second.urls as typeof second.urls & { maxbot: string }).maxbot;
    // k1 and k2 were committed by the marker; k3 and k4 were acknowledged (the admin API answered) and survive.
    expect(texts(await poll(base, "timeout=0&types=message_created"))).toEqual(["k3", "k4"]);
  }, 90_000);
});
