/**
 * Closing the sandbox while a bot's long poll waits (up to 90 s) does not wait for it: the poll
 * is answered at once (an empty list and its marker, or the connection ends) and close() is quick.
 */
import { describe, expect, it } from "vitest";
import { startBotWorld } from "./harness.js";

describe("shutdown with a waiting long poll", () => {
  it("close() ends the poll instead of waiting for its timeout", async () => {
    const world = await startBotWorld();
    let closed = false;
    try {
      const bot = await world.createBot("Closing bot");
      const poll = fetch(`${world.botApi}/updates?timeout=90`, {
        headers: { authorization: bot.token },
      }).then(
        async (res) => ({ status: res.status, body: (await res.json()) as unknown }),
        (err: unknown) => ({ status: 0, body: String(err) }),
      );
      await new Promise((r) => setTimeout(r, 300));
      const started = Date.now();
      await world.close();
      closed = true;
      const answer = await poll;
      expect(Date.now() - started).toBeLessThan(5000);
      // Answered before the server went away (an empty list), or cut off with the connection.
      if (answer.status === 200) expect(answer.body).toEqual({ updates: [], marker: expect.any(Number) });
      else expect(answer.status).toBe(0);
    } finally {
      if (!closed) await world.close();
    }
  }, 30_000);
});
