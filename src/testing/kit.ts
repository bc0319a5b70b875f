/**
 * BotTestKit: a bot against the sandbox emulators in a few lines. `start()` makes, on each chosen
 * platform, a fresh bot account and a test chat it is in (through the sandbox's admin API and the
 * platform's own wire); `kit.accounts` go to `new Bot({ accounts })`; `kit.user(platform, name)` is
 * a new person in that chat who writes as themselves and awaits the bot's replies. Everything the
 * kit creates carries the kit's id, so several kits can share one running sandbox.
 */
import { randomBytes } from "node:crypto";
import type { Adapter } from "../core/adapter.js";
import { silentLogger } from "../core/log.js";
import type { PlatformName, Ref } from "../core/model.js";
import { connectSandbox, SandboxAdmin } from "./admin.js";
import { BotTestKitError } from "./errors.js";
import { openMaxRoom } from "./platforms/max.js";
import { openMaxBotRoom } from "./platforms/maxbot.js";
import { openMaxImRoom } from "./platforms/maxim.js";
import type { PlatformRoom, RoomContext } from "./platforms/room.js";
import { openVkLiveRoom } from "./platforms/vklive.js";
import { openWebQQRoom, seatNicks } from "./platforms/webqq.js";
import { attachUser, TestUser, userJoined } from "./test-user.js";

/** Every platform the kit can set up, in the order `kit.accounts` lists them. */
export const KIT_PLATFORMS = [
  "max",
  "maxbot",
  "maxim",
  "webqq",
  "vklive",
] as const satisfies readonly PlatformName[];

export interface BotTestKitOptions {
  /** The platforms to set up (default all five). */
  platforms?: readonly PlatformName[] | undefined;
  /**
   * The console URL of a running sandbox (`npm start`'s, e.g. `http://127.0.0.1:8700`) to use
   * through its admin API. Without it the kit starts a sandbox in this process (random ports,
   * in memory, no seed, no logs) and stops it on close().
   */
  sandbox?: string | undefined;
  /** The bot's display name on every platform (default "Test bot"). */
  botName?: string | undefined;
  /** The `account` of the bot's adapters and Refs (default "bot"). */
  botAccount?: string | undefined;
  /**
   * WebQQ can't add members to a group later, so its users are made up front: the names of the
   * users to come (their QQ nicks), or how many unnamed ones (default 4).
   */
  webqqUsers?: number | readonly string[] | undefined;
}

/** A sandbox the kit started itself (only what it needs of `startSandbox`'s answer). */
interface OwnSandbox {
  close(): Promise<void>;
}

function isKitPlatform(p: unknown): p is PlatformName {
  return typeof p === "string" && (KIT_PLATFORMS as readonly string[]).includes(p);
}

function unknownPlatform(p: unknown, known: readonly string[]): BotTestKitError {
  return new BotTestKitError(`unknown platform ${JSON.stringify(p)}: expected one of ${known.join(", ")}`, {
    code: "unknown_platform",
  });
}

export class BotTestKit {
  /** Unique per kit; part of every name the kit creates. */
  readonly id: string;
  /** The sandbox's console URL (in-process or the one given). */
  readonly sandboxUrl: string;
  readonly #rooms: ReadonlyMap<PlatformName, PlatformRoom>;
  readonly #own: OwnSandbox | undefined;
  readonly #users: TestUser[] = [];
  #closed = false;

  private constructor(
    id: string,
    admin: SandboxAdmin,
    rooms: Map<PlatformName, PlatformRoom>,
    own: OwnSandbox | undefined,
  ) {
    this.id = id;
    this.sandboxUrl = admin.faces.console;
    this.#rooms = rooms;
    this.#own = own;
  }

  /** Sets the chosen platforms up (in parallel) on a new in-process sandbox or the given one. */
  static async start(options: BotTestKitOptions = {}): Promise<BotTestKit> {
    const platforms = [...new Set(options.platforms ?? KIT_PLATFORMS)];
    for (const p of platforms) if (!isKitPlatform(p)) throw unknownPlatform(p, KIT_PLATFORMS);
    if (platforms.length === 0)
      throw new BotTestKitError(`no platforms given: pick from ${KIT_PLATFORMS.join(", ")}`, {
        code: "unknown_platform",
      });

    let own: OwnSandbox | undefined;
    let admin: SandboxAdmin;
    if (options.sandbox !== undefined) {
      admin = await connectSandbox(options.sandbox);
    } else {
      // Loaded only here: a kit on a running sandbox needs no emulator code (nor SQLite).
      const { startSandbox } = await import("../sandbox/runner.js");
      const sandbox = await startSandbox({
        port: 0,
        data: null,
        seed: "none",
        log: silentLogger,
        maxSocketTls: false,
      });
      own = sandbox;
      admin = new SandboxAdmin(sandbox.urls);
    }

    const ctx: RoomContext = {
      admin,
      kitId: randomBytes(4).toString("hex"),
      botName: options.botName ?? "Test bot",
      botAccount: options.botAccount ?? "bot",
    };
    const opened = await Promise.allSettled(
      platforms.map(async (p) => {
        switch (p) {
          case "max":
            return openMaxRoom(ctx);
          case "maxbot":
            return openMaxBotRoom(ctx);
          case "maxim":
            return openMaxImRoom(ctx);
          case "webqq":
            return openWebQQRoom(ctx, seatNicks(options.webqqUsers));
          case "vklive":
            return openVkLiveRoom(ctx);
        }
      }),
    );
    const rooms = new Map<PlatformName, PlatformRoom>();
    for (const r of opened) if (r.status === "fulfilled") rooms.set(r.value.platform, r.value);
    const failed = opened.find((r): r is PromiseRejectedResult => r.status === "rejected");
    if (failed) {
      await Promise.allSettled([...rooms.values()].map((room) => room.close()));
      await own?.close();
      throw failed.reason;
    }
    // Keep the kit's platform order whatever order the rooms finished in.
    const ordered = new Map(platforms.map((p) => [p, rooms.get(p) as PlatformRoom]));
    return new BotTestKit(ctx.kitId, admin, ordered, own);
  }

  /** The platforms this kit set up. */
  get platforms(): PlatformName[] {
    return [...this.#rooms.keys()];
  }

  /** One fresh bot account per platform, for `new Bot({ accounts })` (the Bot connects them). */
  get accounts(): Adapter[] {
    return [...this.#rooms.values()].map((room) => room.account);
  }

  /** The bot's account on `platform`. */
  account(platform: PlatformName): Adapter {
    return this.#room(platform).account;
  }

  /** The test chat as the bot's account sees it (compare with `ctx.chat`). */
  chat(platform: PlatformName): Ref {
    return this.#room(platform).chat;
  }

  /** The bot's own user as its account sees it. */
  botUser(platform: PlatformName): Ref {
    return this.#room(platform).botUser;
  }

  /** Users made so far (open or closed). */
  get users(): readonly TestUser[] {
    return this.#users;
  }

  /**
   * A new user of `platform` named `name`, a member of the bot's test chat, listening from now
   * on. On `maxbot` it is a MAX user (people talk to MAX bots from MAX).
   */
  async user(platform: PlatformName, name: string): Promise<TestUser> {
    if (this.#closed) throw new BotTestKitError("the kit is closed", { code: "closed" });
    const room = this.#room(platform);
    const user = new TestUser(name, platform);
    userJoined(user, await room.join(name, (adapter) => attachUser(user, adapter)));
    this.#users.push(user);
    if (this.#closed) await user.close();
    return user;
  }

  /**
   * Closes every user, the kit's helper connections, the bot accounts it made (stop the Bot
   * first: closing an account under a running Bot ends its updates) and an in-process sandbox.
   * Safe to call twice.
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const results = await Promise.allSettled([
      ...this.#users.map((u) => u.close()),
      ...[...this.#rooms.values()].map((room) => room.close()),
    ]);
    await this.#own?.close();
    const failed = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
    if (failed) throw failed.reason;
  }

  #room(platform: PlatformName): PlatformRoom {
    const room = this.#rooms.get(platform);
    if (room) return room;
    if (!isKitPlatform(platform)) throw unknownPlatform(platform, KIT_PLATFORMS);
    throw new BotTestKitError(
      `this kit has no ${platform} chat: it was started with platforms ${this.platforms.join(", ")}`,
      { code: "unknown_platform" },
    );
  }
}
