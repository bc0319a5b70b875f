/**
 * The runner knows platforms only through EmulatorPlugins: a made-up platform that follows the
 * shape (store module, listen, admin routes, console provider, seed section, close) gets its
 * tables migrated, its face listening, its admin route and console provider mounted on the console
 * port, its seed section checked and applied, and is closed on shutdown — with nothing in
 * src/sandbox written for it. This is how a fifth platform plugs in.
 */
import { existsSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import Fastify from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { ManualClock } from "../../src/core/emulator/clock.js";
import type { ConsoleProvider } from "../../src/core/emulator/console.js";
import {
  type EmulatorContext,
  type EmulatorInstance,
  type EmulatorPlugin,
  type SeededAccount,
  SeedProblem,
  type SeedSection,
} from "../../src/core/emulator/plugin.js";
import type { PlatformName } from "../../src/core/model.js";
import type { Database } from "../../src/core/storage.js";
import {
  parseSeed,
  type RunningEmulators,
  SandboxStartError,
  SeedError,
  startEmulators,
} from "../../src/sandbox/index.js";
import { api } from "./proc.js";

const NoteSeed = z.strictObject({ notes: z.array(z.string().min(1)).default([]) });
type NoteSeed = z.output<typeof NoteSeed>;

interface NoteInstance extends EmulatorInstance {
  ctx: EmulatorContext;
  closed: boolean;
}

/** A platform of one table: notes, readable on its own port, writable through its admin route. */
function notesPlugin(platform: string, title: string): EmulatorPlugin<NoteInstance> {
  const table = `${platform}_notes`;
  return {
    platform: platform as PlatformName,
    title,
    store: {
      platform,
      migrations: [
        {
          id: `${platform}:001-notes`,
          up: (db: Database) => db.exec(`CREATE TABLE ${table} (text TEXT PRIMARY KEY, at INTEGER NOT NULL)`),
        },
      ],
    },
    create(ctx) {
      const add = (text: string) =>
        ctx.db.prepare(`INSERT OR IGNORE INTO ${table} (text, at) VALUES (?, ?)`).run(text, ctx.clock.now())
          .changes === 1;
      const all = () =>
        ctx.db.prepare(`SELECT text, at FROM ${table} ORDER BY text`).all() as { text: string; at: number }[];
      const app = Fastify();
      app.get("/notes", async () => ({ notes: all() }));
      const console: ConsoleProvider = {
        id: platform,
        title,
        url: () => ctx.urls()[platform] ?? "",
        accounts: () => all().map((n) => ({ id: n.text, name: n.text })),
      };
      const seed: SeedSection<NoteSeed> = {
        schema: NoteSeed as unknown as z.ZodType<NoteSeed>,
        async apply(section, at) {
          const out: SeededAccount[] = [];
          for (const [i, text] of section.notes.entries()) {
            if (text === "bad") throw new SeedProblem(["notes", i], `refused here: ${at(["notes", i])}`);
            out.push({
              platform: platform as PlatformName,
              login: text,
              name: text,
              id: text,
              created: add(text),
            });
          }
          return out;
        },
      };
      const instance: NoteInstance = {
        ctx,
        closed: false,
        console,
        seed,
        async listen(port, host, shownHost) {
          await app.listen({ port, host });
          return `http://${shownHost}:${(app.server.address() as AddressInfo).port}`;
        },
        registerAdmin(admin) {
          admin.post<{ Body: { text: string } }>(`/_sandbox/${platform}/notes`, async (req) => ({
            added: add(req.body.text),
          }));
        },
        async close() {
          instance.closed = true;
          await app.close();
        },
      };
      return instance;
    },
  };
}

describe("the runner with made-up plugins", () => {
  const clock = new ManualClock(1_700_000_000_000);
  let run: RunningEmulators;
  beforeAll(async () => {
    run = await startEmulators([notesPlugin("alpha", "Alpha"), notesPlugin("beta", "Beta")], {
      port: 0,
      data: null,
      clock,
      seed: parseSeed("alpha:\n  notes: [one, two]\nbeta: { notes: [three] }\n", "fake.yaml"),
    });
  });
  afterAll(() => run?.close());
  const url = (face: string) => run.urls[face] ?? "";

  it("listens on one face per plugin after the console, in plugin order", async () => {
    expect(Object.keys(run.urls)).toEqual(["console", "alpha", "beta"]);
    const res = await fetch(`${url("alpha")}/notes`);
    expect(res.status).toBe(200);
  });

  it("migrated each store module, applied each seed section with the injected clock", async () => {
    const alpha = (await (await fetch(`${url("alpha")}/notes`)).json()) as { notes: unknown[] };
    expect(alpha.notes).toEqual([
      { text: "one", at: clock.now() },
      { text: "two", at: clock.now() },
    ]);
    const beta = (await (await fetch(`${url("beta")}/notes`)).json()) as { notes: unknown[] };
    expect(beta.notes).toEqual([{ text: "three", at: clock.now() }]);
    expect(run.seedReport?.accounts.map((a) => `${a.platform}:${a.login}:${a.created}`)).toEqual([
      "alpha:one:true",
      "alpha:two:true",
      "beta:three:true",
    ]);
    const ids = (run.instances.get("alpha") as NoteInstance).ctx.db
      .prepare("SELECT id FROM sandbox_migrations ORDER BY id")
      .all();
    expect(ids).toEqual([{ id: "alpha:001-notes" }, { id: "beta:001-notes" }]);
  });

  it("gave each emulator its own files folder and every face's URL", () => {
    const ctx = (run.instances.get("beta") as NoteInstance).ctx;
    expect(ctx.dataDir).toBe(join(run.filesDir, "beta"));
    expect(existsSync(ctx.dataDir)).toBe(true);
    expect(ctx.urls()).toEqual(run.urls);
  });

  it("mounts each plugin's admin routes on the console port, and lists them on the index page", async () => {
    clock.advance(5000);
    expect(await api(run.urls.console, "POST", "/_sandbox/beta/notes", { text: "four" })).toEqual({
      status: 200,
      body: { added: true },
    });
    const beta = (await (await fetch(`${url("beta")}/notes`)).json()) as {
      notes: { text: string; at: number }[];
    };
    expect(beta.notes.find((n) => n.text === "four")?.at).toBe(clock.now());
    expect(await api(run.urls.console, "GET", "/_sandbox/health")).toEqual({
      status: 200,
      body: { ok: true },
    });
    const page = await (await fetch(`${run.urls.console}/_sandbox/api`)).text();
    expect(page).toContain("/_sandbox/alpha/notes");
    expect(page).toContain(url("beta"));
  });

  it("lists each plugin's console provider", async () => {
    const { body } = await api(run.urls.console, "GET", "/_sandbox/console/platforms");
    expect(body.platforms.map((p: { id: string; url: string }) => [p.id, p.url])).toEqual([
      ["alpha", url("alpha")],
      ["beta", url("beta")],
    ]);
    const accounts = await api(run.urls.console, "GET", "/_sandbox/console/alpha/accounts");
    expect(accounts.body.accounts.map((a: { id: string }) => a.id)).toEqual(["one", "two"]);
  });

  it("closes every instance on shutdown", async () => {
    const other = await startEmulators([notesPlugin("gamma", "Gamma")], { port: 0, data: null });
    const instance = other.instances.get("gamma") as NoteInstance;
    await other.close();
    expect(instance.closed).toBe(true);
    expect(instance.ctx.db.open).toBe(false);
    await expect(fetch(`${other.urls.gamma ?? ""}/notes`)).rejects.toThrow();
  });
});

describe("seed files against made-up plugins", () => {
  const start = (text: string) =>
    startEmulators([notesPlugin("alpha", "Alpha")], {
      port: 0,
      data: null,
      seed: parseSeed(text, "fake.yaml"),
    }).then(
      async (run) => {
        await run.close();
        throw new Error("the seed was accepted");
      },
      (err: unknown) => err as Error,
    );

  it("refuses a section no plugin owns, naming the line", async () => {
    const err = await start("alpha: { notes: [a] }\ndelta: { notes: [b] }\n");
    expect(err).toBeInstanceOf(SandboxStartError);
    expect(err.cause).toBeInstanceOf(SeedError);
    expect(err.message).toContain('fake.yaml:2:8: delta: unknown key "delta"');
  });

  it("checks a section with its plugin's schema", async () => {
    const err = await start("alpha:\n  notes: [a]\n  colour: red\n");
    expect(err.message).toContain('fake.yaml:3:11: alpha.colour: unknown key "colour"');
  });

  it("reports a SeedProblem from apply at its place", async () => {
    const err = await start("alpha:\n  notes:\n    - fine\n    - bad\n");
    expect(err).toBeInstanceOf(SandboxStartError);
    expect(err.message).toContain(
      "fake.yaml:4:7: alpha.notes[1]: refused here: fake.yaml:4:7 (alpha.notes[1])",
    );
  });
});
