/**
 * Conversations at the store seam (types.ts), on the SQLite store: a conversation's state is
 * compare-and-set with the update's completion, so two runs that read the same state (two
 * workers, or a run retried while another completed) cannot both advance it; the loser's
 * transaction rolls back with CommitConflictError and its rerun replays the winner's answer first.
 * Also: exit() and enter() in one update, and answers only from message.created of the waiting user.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  type Conversation,
  type ConversationFlavor,
  type ConversationHost,
  conversation,
} from "../../src/bot/conversation.js";
import { CommitConflictError } from "../../src/bot/session.js";
import { SqliteBotStore } from "../../src/bot/store/sqlite.js";
import type { BotStore, StoredUpdate } from "../../src/bot/types.js";
import type { AdapterEvent } from "../../src/core/adapter.js";
import { ref } from "../../src/core/model.js";

/** The context fields conversations read, for one update's run, plus its completion. */
class Run implements ConversationHost {
  readonly writes: (() => void)[] = [];
  readonly effects = { onCommit: (write: () => void) => void this.writes.push(write) };
  constructor(
    readonly store: BotStore,
    readonly update: StoredUpdate,
  ) {}
  get chatKey(): string {
    return this.update.chatKey;
  }
  get from() {
    const e = this.update.event;
    return e.type === "message.created" ? e.message.author : e.type === "reaction" ? e.user : undefined;
  }
  get text(): string | undefined {
    const e = this.update.event;
    const first = e.type === "message.created" ? e.message.content[0] : undefined;
    return first?.type === "text" ? first.text : undefined;
  }
  derive(update: StoredUpdate): this {
    return new Run(this.store, update) as this;
  }
  complete(): void {
    this.store.transaction(() => {
      for (const write of this.writes) write();
    });
  }
}
type Ctx = Run & ConversationFlavor;

let seq = 0;
function message(user: string, text: string): StoredUpdate {
  const n = ++seq;
  const event: AdapterEvent = {
    type: "message.created",
    id: `m${n}`,
    message: {
      ref: ref("maxbot", "bot", `m${n}`),
      chat: ref("maxbot", "bot", "g1"),
      author: ref("maxbot", "bot", user),
      time: n,
      content: [{ type: "text", text }],
    },
  };
  return {
    key: `maxbot:bot:m${n}`,
    chatKey: "maxbot:bot:g1",
    account: "maxbot:bot",
    event,
    seq: n,
    attempts: 1,
    receivedAt: n,
  };
}

let dir: string;
let store: SqliteBotStore;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "bot-conv-"));
  store = new SqliteBotStore(join(dir, "bot.db"));
});
afterEach(() => {
  store.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Collects the answers a "collect" conversation got, in order, on each run. */
function collector(seen: string[][]) {
  return conversation<Run>("collect", async (conv: Conversation<Ctx>) => {
    const got: string[] = [];
    for (;;) {
      const answer = await conv.wait();
      got.push(answer.text ?? "?");
      seen.push([...got]);
    }
  });
}

async function pass(
  mw: ReturnType<typeof collector>,
  run: Run,
  after?: (ctx: Ctx) => Promise<void>,
): Promise<boolean> {
  let reachedNext = false;
  await mw(run as Ctx, async () => {
    reachedNext = true;
    await after?.(run as Ctx);
  });
  return reachedNext;
}

const key = "conv:maxbot:bot:g1:alice";
const answers = () =>
  (store.getConversation(key) as { steps: { update: StoredUpdate }[] } | undefined)?.steps.map(
    (s) => (s.update.event as Extract<AdapterEvent, { type: "message.created" }>).message.content[0],
  );

describe("conversation state is compare-and-set", () => {
  it("two runs that read the same state: the second completion conflicts, rolls back, and its rerun keeps both answers", async () => {
    const seen: string[][] = [];
    const mw = collector(seen);
    const enter = new Run(store, message("alice", "/collect"));
    await pass(mw, enter, (ctx) => ctx.conversation.enter("collect"));
    enter.complete();
    expect(answers()).toEqual([]);

    const a = new Run(store, message("alice", "a"));
    const b = new Run(store, message("alice", "b"));
    expect(await pass(mw, a)).toBe(false); // consumed by the conversation
    expect(await pass(mw, b)).toBe(false);
    a.complete();
    expect(() => b.complete()).toThrow(CommitConflictError);
    expect(answers()).toEqual([{ type: "text", text: "a" }]);

    const again = new Run(store, b.update); // the pipeline's rerun with fresh effects
    await pass(mw, again);
    again.complete();
    expect(answers()).toEqual([
      { type: "text", text: "a" },
      { type: "text", text: "b" },
    ]);
    expect(seen[seen.length - 1]).toEqual(["a", "b"]);
  });

  it("exit() then enter() in one update is one write; other users' and non-message updates pass by", async () => {
    const mw = collector([]);
    const first = new Run(store, message("alice", "/collect"));
    await pass(mw, first, (ctx) => ctx.conversation.enter("collect"));
    first.complete();
    const bob = new Run(store, message("bob", "mine"));
    expect(await pass(mw, bob)).toBe(true);
    const reaction = new Run(store, {
      ...message("alice", "x"),
      event: {
        type: "reaction",
        id: "r1",
        chat: ref("maxbot", "bot", "g1"),
        message: ref("maxbot", "bot", "m1"),
        user: ref("maxbot", "bot", "alice"),
        reaction: "👍",
        added: true,
      },
    });
    expect(await pass(mw, reaction)).toBe(true);

    const restart = new Run(store, message("alice", "a"));
    // In one update: the answer is consumed (a put), then exit() (a delete) and enter() (a put):
    // one compare-and-set against what the update read, and the last write wins.
    await mw(restart as Ctx, async () => {});
    const handle = (restart as Ctx).conversation;
    handle.exit();
    await handle.enter("collect");
    restart.complete();
    expect(answers()).toEqual([]);
    expect(handle.active()).toBeUndefined(); // read once per update: it was replaced in this one
  });
});
