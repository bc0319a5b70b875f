/**
 * The client's catch-up (src/max/client/catch-up.ts) against the real emulator over a real
 * socket: 300 messages in one millisecond (ManualClock held still) are each delivered once,
 * whatever the page size, including when part of that millisecond was already delivered live.
 * The engine is reduced to what catch-up uses (options, tracker, emit); requests go over a raw
 * connection, exactly as the engine would send them.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ManualClock } from "../../src/core/emulator/clock.js";
import { ChatTracker, catchUp } from "../../src/max/client/catch-up.js";
import type { MaxEngine } from "../../src/max/client/engine.js";
import type { MaxMessage } from "../../src/max/client/types.js";
import { emulatorFixture, type RawClient } from "./raw.js";

const clock = new ManualClock(Date.UTC(2026, 5, 1, 12));
const fx = emulatorFixture("915000", { clock });
beforeAll(fx.start);
afterAll(fx.stop);

const BURST = 300;

interface Delivered {
  chatId: number;
  message: MaxMessage;
}

function fakeEngine(pageSize: number): { engine: MaxEngine; delivered: Delivered[]; errors: unknown[] } {
  const delivered: Delivered[] = [];
  const errors: unknown[] = [];
  const engine = {
    o: { catchUp: { pageSize } },
    tracker: new ChatTracker(),
    emit(type: string, data: unknown) {
      if (type === "message") delivered.push(data as Delivered);
      else if (type === "error") errors.push(data);
    },
  } as unknown as MaxEngine;
  return { engine, delivered, errors };
}

function ctxOver(client: RawClient) {
  return {
    reconnect: true,
    async request(method: number, payload: unknown) {
      return client.ok(method, payload);
    },
  };
}

/** A dialog whose 300 messages share one millisecond, sent by `sender` to `reader`. */
async function burstChat(): Promise<{ reader: RawClient; chatId: number; time: number; ids: string[] }> {
  const sender = await fx.login();
  const reader = await fx.login();
  clock.advance(1000);
  const first = await sender.client.ok(64, {
    userId: reader.userId,
    message: { cid: 1, text: "b0", elements: [], attaches: [] },
  });
  const chatId = Number(first.chatId);
  const ids = [String(first.message.id)];
  for (let i = 1; i < BURST; i++) {
    const r = await sender.client.ok(64, {
      chatId,
      message: { cid: 1 + i, text: `b${i}`, elements: [], attaches: [] },
    });
    ids.push(String(r.message.id));
  }
  const time = first.message.time as number;
  clock.advance(1000);
  return { reader: reader.client, chatId, time, ids };
}

describe("catch-up cursor over a same-millisecond burst", () => {
  for (const pageSize of [1, 20, 200]) {
    it(`pageSize ${pageSize}: all ${BURST} delivered once, in order`, async () => {
      const { reader, chatId, time, ids } = await burstChat();
      const history = await reader.ok(49, {
        chatId,
        from: time + 1,
        forward: 0,
        backward: 1000,
        getMessages: true,
      });
      expect(history.messages.every((m: { time: number }) => m.time === time)).toBe(true);

      const { engine, delivered, errors } = fakeEngine(pageSize);
      engine.tracker.track(chatId, time - 500);
      await catchUp(engine, ctxOver(reader) as never, [], time - 500);
      expect(errors).toEqual([]);
      expect(delivered.map((d) => d.message.id)).toEqual(ids);
      expect(delivered.every((d) => d.chatId === chatId)).toBe(true);
    });
  }

  it("part of the millisecond already delivered live: only the rest comes, once", async () => {
    const { reader, chatId, time, ids } = await burstChat();
    const { engine, delivered } = fakeEngine(20);
    const history = await reader.ok(49, {
      chatId,
      from: time + 1,
      forward: 0,
      backward: 1000,
      getMessages: true,
    });
    // The live pushes of the first 57 messages reached the client before the drop.
    engine.tracker.track(chatId, time - 500);
    for (const m of history.messages.slice(0, 57)) {
      engine.tracker.admit({ ...m, id: String(m.id), chatId } as MaxMessage);
    }
    await catchUp(engine, ctxOver(reader) as never, [], time - 500);
    expect(delivered.map((d) => d.message.id)).toEqual(ids.slice(57));
  });
});
