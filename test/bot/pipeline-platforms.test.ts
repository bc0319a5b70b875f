/**
 * The pipeline over every platform's adapter and emulator (the shared conformance harnesses):
 * messages from a peer are handled in order and once; after a restart, a message the bot missed
 * while stopped comes back through history catch-up (where the platform has history), and what
 * was already handled is not handled again.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { chatKeyOf, createPipeline } from "../../src/bot/pipeline.js";
import { SqliteBotStore } from "../../src/bot/store/sqlite.js";
import type { StoredUpdate } from "../../src/bot/types.js";
import type { AdapterFixture, AdapterHarness } from "../adapters/harness.js";
import { sleep, textOf, waitFor } from "./pipeline-world.js";

const dir = mkdtempSync(join(tmpdir(), "bot-pipeline-platforms-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const platforms = ["max", "maxim", "webqq", "vklive", "maxbot"] as const;

describe.each(platforms)("pipeline over %s", (platform) => {
  it("handles a peer's messages in order, once; catches up a missed one after a restart", async () => {
    const mod = (await import(`../adapters/${platform}.harness.ts`)) as { harness: AdapterHarness };
    const fixture: AdapterFixture = await mod.harness.start();
    const store = new SqliteBotStore(join(dir, `${platform}.db`));
    const handled: string[] = [];
    const errors: unknown[] = [];
    const handle = async (update: StoredUpdate) => {
      const text = textOf(update.event);
      if (text?.startsWith("pp-")) handled.push(text);
    };
    try {
      const { adapter } = fixture;
      let pipeline = createPipeline({ store, handle, onError: (e) => errors.push(e) });
      pipeline.attach(adapter);
      await pipeline.start();
      for (const text of ["pp-1", "pp-2", "pp-3"]) await fixture.peerSend(text);
      await waitFor(() => handled.length >= 3, 15_000, `${platform}: three messages`);
      await pipeline.idle();
      expect(handled).toEqual(["pp-1", "pp-2", "pp-3"]);
      const chatKey = `${platform}:${adapter.account}:${fixture.chat.id}`;
      const cursor = store.cursor(chatKey);
      expect(cursor && JSON.parse(cursor)).toMatchObject({ platform, account: adapter.account });
      await pipeline.stop();

      // Stopped: the adapter still runs, but nobody admits its events, so pp-4 is missed live.
      await fixture.peerSend("pp-4");
      await sleep(300);
      pipeline = createPipeline({ store, handle, onError: (e) => errors.push(e) });
      pipeline.attach(adapter);
      await pipeline.start();
      await fixture.peerSend("pp-5");
      await waitFor(() => handled.includes("pp-5"), 15_000, `${platform}: the next live message`);
      await pipeline.idle();
      await pipeline.stop();
      if (adapter.capabilities.operations.history) {
        expect(handled).toEqual(["pp-1", "pp-2", "pp-3", "pp-4", "pp-5"]);
      } else {
        // Without history there is nothing to catch up from: the missed message stays missed.
        expect(handled).toEqual(["pp-1", "pp-2", "pp-3", "pp-5"]);
      }
      expect(store.pending(100)).toEqual([]);
      expect(errors).toEqual([]);
      // Every admitted update of the chat is keyed under the fixture's chat.
      expect(chatKeyOf(adapter, { type: "typing", chat: fixture.chat, user: fixture.peer, id: "x" })).toBe(
        chatKey,
      );
    } finally {
      store.close();
      await fixture.close();
    }
  }, 45_000);
});
