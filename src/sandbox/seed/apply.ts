/**
 * Loading and applying seed files. Loading (YAML → schema → references) happens before anything
 * listens, so a bad file stops the sandbox with a message naming the file, the line, the YAML path
 * and the problem. Applying goes through each emulator's admin object (MaxIM: its own REST API
 * with an admin token, in-process) and is idempotent: whatever a natural key already names is
 * kept as it is, and messages are posted only when a platform's accounts were all created now.
 */
import { readFileSync } from "node:fs";
import { LineCounter, parseDocument } from "yaml";
import type { z } from "zod";
import type { Database } from "../../core/storage.js";
import { AdminError } from "../../max/emulator/admin.js";
import type { MaxEmulatorServer } from "../../max/emulator/server.js";
import { normalizePhone } from "../../max/emulator/store/users.js";
import { withMaxImAdmin } from "../../maxim/emulator/console-admin.js";
import { hashSecret as maxImHash } from "../../maxim/emulator/context.js";
import type { MaxImEmulator } from "../../maxim/emulator/server.js";
import { hashSecret as vkHash } from "../../vklive/emulator/context.js";
import type { VkLiveEmulator } from "../../vklive/emulator/server.js";
import type { WebQQEmulator } from "../../webqq/emulator/server.js";
import { checkReferences, type Seed, SeedFile, type SeedIssue } from "./schema.js";

/** A seed file that can't be read, parsed, validated or applied. */
export class SeedError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "SeedError";
  }
}

export interface LoadedSeed {
  /** Where it came from, for messages: a file path, or e.g. "demo". */
  source: string;
  seed: Seed;
}

type Path = (string | number)[];

/** `max.users[0].phone` */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const p of path) out += typeof p === "number" ? `[${p}]` : `${out ? "." : ""}${String(p)}`;
  return out || "(top level)";
}

const MAX_SHOWN = 10;

function fail(source: string, lines: string[]): never {
  const shown = lines.slice(0, MAX_SHOWN);
  if (lines.length > MAX_SHOWN) shown.push(`… and ${lines.length - MAX_SHOWN} more`);
  throw new SeedError(
    lines.length === 1 ? `invalid seed ${shown[0]}` : `invalid seed ${source}:\n  ${shown.join("\n  ")}`,
  );
}

function valueAt(value: unknown, path: Path): unknown {
  let v = value;
  for (const p of path)
    v = v !== null && typeof v === "object" ? (v as Record<string, unknown>)[p] : undefined;
  return v;
}

function zodIssues(error: z.ZodError, value: unknown): SeedIssue[] {
  const out: SeedIssue[] = [];
  for (const i of error.issues) {
    const path = i.path.filter((p): p is string | number => typeof p !== "symbol");
    if (i.code === "unrecognized_keys") {
      for (const key of i.keys) out.push({ path: [...path, key], message: `unknown key "${key}"` });
    } else if (i.code === "invalid_type" && valueAt(value, path) === undefined) {
      out.push({ path, message: "is required" });
    } else out.push({ path, message: i.message });
  }
  return out;
}

/** Parses and validates seed text (YAML, or JSON, which is YAML too). */
export function parseSeed(text: string, source: string): LoadedSeed {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, uniqueKeys: true, prettyErrors: false });
  if (doc.errors.length) {
    fail(
      source,
      doc.errors.map((e) => {
        const pos = lineCounter.linePos(e.pos[0]);
        return `${source}:${pos.line}:${pos.col}: YAML: ${e.message.split("\n")[0]}`;
      }),
    );
  }
  const where = (path: Path): string => {
    // The nearest node the path reaches (a missing key points at its parent).
    for (let n = path.length; n >= 0; n--) {
      const node = n === 0 ? doc.contents : doc.getIn(path.slice(0, n), true);
      const range = (node as { range?: [number, number, number] } | null | undefined)?.range;
      if (range) {
        const pos = lineCounter.linePos(range[0]);
        return `${source}:${pos.line}:${pos.col}`;
      }
    }
    return source;
  };
  return validate(doc.toJS() ?? {}, source, where);
}

/** Validates a seed given as a plain object (e.g. from a test). */
export function validateSeed(value: unknown, source = "seed"): LoadedSeed {
  return validate(value, source, () => source);
}

function validate(value: unknown, source: string, where: (path: Path) => string): LoadedSeed {
  const r = SeedFile.safeParse(value);
  const issues = r.success ? checkReferences(r.data) : zodIssues(r.error, value);
  if (issues.length)
    fail(
      source,
      issues.map((i) => `${where(i.path)}: ${formatPath(i.path)}: ${i.message}`),
    );
  return { source, seed: r.data as Seed };
}

/** Reads, parses and validates a seed file. */
export function loadSeedFile(file: string): LoadedSeed {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === "ENOENT" ? "no such file" : code === "EISDIR" ? "is a directory" : String(err);
    throw new SeedError(`cannot read seed file ${file}: ${why}`, { cause: err });
  }
  return parseSeed(text, file);
}

// ---------------------------------------------------------------- applying

export type SeedPlatform = "max" | "maxim" | "webqq" | "vklive";

/** A MAX account a seed created or found (the shape the banner has always shown). */
export interface SeededUser {
  phone: string;
  name: string;
  userId: number;
  /** False when the account was already there (a restart on the same `--data`). */
  created: boolean;
  /** The 2FA password, if the seed gives one. */
  password?: string;
}

/** An account of any platform, for the banner and the log. */
export interface SeededAccount {
  platform: SeedPlatform;
  /** What one logs in with: phone, `appId/username`, QQ number, nick. */
  login: string;
  name: string;
  id: number | string;
  created: boolean;
  password?: string;
}

export interface SeedReport {
  source: string;
  /** MAX users in file order. */
  maxUsers: SeededUser[];
  accounts: SeededAccount[];
  /** Human notes for the banner: admin tokens, channels on air… */
  notes: string[];
}

export interface SeedTargets {
  db: Database;
  max: MaxEmulatorServer;
  maxim: MaxImEmulator;
  webqq: WebQQEmulator;
  vklive: VkLiveEmulator;
}

/** Applies a validated seed. Throws SeedError (naming the YAML path) if an emulator refuses. */
export async function applySeed(loaded: LoadedSeed, t: SeedTargets): Promise<SeedReport> {
  const report: SeedReport = { source: loaded.source, maxUsers: [], accounts: [], notes: [] };
  const at = async <T>(path: Path, fn: () => T | Promise<T>): Promise<T> => {
    try {
      return await fn();
    } catch (err) {
      if (err instanceof SeedError) throw err;
      const message = err instanceof Error ? err.message : String(err);
      throw new SeedError(`seed ${loaded.source}: ${formatPath(path)}: ${message}`, { cause: err });
    }
  };
  const { seed } = loaded;
  if (seed.max) await applyMax(seed.max, t, report, at);
  if (seed.maxim) await applyMaxIm(seed.maxim, t, report, at);
  if (seed.webqq) await applyWebQQ(seed.webqq, t, report, at);
  if (seed.vklive) await applyVkLive(seed.vklive, t, report, at);
  return report;
}

type At = <T>(path: Path, fn: () => T | Promise<T>) => Promise<T>;

async function applyMax(m: NonNullable<Seed["max"]>, t: SeedTargets, report: SeedReport, at: At) {
  const ids = new Map<string, number>();
  const phone = (p: string) => normalizePhone(p) ?? p;
  const id = (p: string) => ids.get(phone(p)) as number;
  let allNew = m.users.length > 0;
  for (const [i, u] of m.users.entries()) {
    const key = phone(u.phone);
    const existing = t.max.emu.repos.users.byPhone(key);
    let userId: number;
    if (existing) userId = existing.id;
    else {
      userId = await at(["max", "users", i], () => {
        try {
          return t.max.admin.createUser({ ...u, phone: key }).userId;
        } catch (err) {
          if (err instanceof AdminError) throw new Error(err.message);
          throw err;
        }
      });
    }
    allNew &&= !existing;
    ids.set(key, userId);
    const name = [u.firstName, u.lastName].filter(Boolean).join(" ");
    const seeded: SeededUser = { phone: key, name, userId, created: !existing };
    if (u.password !== undefined) seeded.password = u.password;
    report.maxUsers.push(seeded);
    report.accounts.push({
      platform: "max",
      login: key,
      name,
      id: userId,
      created: !existing,
      ...pw(u.password),
    });
  }
  const chats = new Map<string, number>();
  for (const [i, c] of m.chats.entries()) {
    const owner = id(c.owner);
    const found = t.db
      .prepare("SELECT id FROM max_chats WHERE type = ? AND title = ? AND owner_id = ? ORDER BY id LIMIT 1")
      .get(c.type, c.title, owner) as { id: number } | undefined;
    const chatId =
      found?.id ??
      (await at(["max", "chats", i], () => {
        const memberIds = [...new Set(c.members.map(id))].filter((x) => x !== owner);
        return t.max.admin.createChat({ ownerId: owner, type: c.type, title: c.title, memberIds }).chatId;
      }));
    chats.set(c.title, chatId);
  }
  // Conversations only on the first start: a restart must not post them again.
  if (!allNew) return;
  for (const [i, msg] of m.messages.entries()) {
    await at(["max", "messages", i], () =>
      t.max.admin.sendMessage({
        fromUserId: id(msg.from),
        text: msg.text,
        ...(msg.chat !== undefined
          ? { chatId: chats.get(msg.chat) as number }
          : { toUserId: id(msg.to ?? "") }),
      }),
    );
  }
}

const pw = (password: string | undefined) => (password === undefined ? {} : { password });

async function applyMaxIm(m: NonNullable<Seed["maxim"]>, t: SeedTargets, report: SeedReport, at: At) {
  for (const [a, app] of m.apps.entries()) {
    const base: Path = ["maxim", "apps", a];
    const existed = t.maxim.admin.hasApp(app.appId);
    await at([...base, "appId"], () => {
      if (!existed) t.maxim.admin.createApp(app.appId, app.adminToken ? { adminToken: app.adminToken } : {});
      else if (app.adminToken) {
        // An existing app keeps its tokens; the seed's one is added unless it is already the main one.
        const hash = maxImHash(app.adminToken);
        const main = t.db
          .prepare("SELECT admin_token_hash AS h FROM maxim_apps WHERE app_id = ?")
          .get(app.appId) as { h: string } | undefined;
        if (main?.h !== hash)
          t.db
            .prepare(
              "INSERT OR IGNORE INTO maxim_admin_tokens (token_hash, app_id, created_at) VALUES (?, ?, ?)",
            )
            .run(hash, app.appId, Date.now());
      }
    });
    if (app.adminToken) report.notes.push(`MaxIM app ${app.appId}: admin token ${app.adminToken}`);
    // A throwaway admin token for the calls below, removed afterwards.
    await withMaxImAdmin(t.maxim, t.db, app.appId, "seed", async (call) => {
      const ids = new Map<string, number>();
      let allNew = app.users.length > 0;
      for (const [i, u] of app.users.entries()) {
        const row = t.db
          .prepare("SELECT user_id FROM maxim_users WHERE app_id = ? AND username = ?")
          .get(app.appId, u.username) as { user_id: number } | undefined;
        let userId = row?.user_id;
        if (userId === undefined) {
          const data = (await at([...base, "users", i], () =>
            call("POST", "/user/register/v2", { username: u.username, password: u.password }),
          )) as { user_id?: number };
          userId =
            data.user_id ??
            (
              t.db
                .prepare("SELECT user_id FROM maxim_users WHERE app_id = ? AND username = ?")
                .get(app.appId, u.username) as { user_id: number }
            ).user_id;
        }
        allNew &&= row === undefined;
        ids.set(u.username, userId);
        report.accounts.push({
          platform: "maxim",
          login: u.username,
          name: u.username,
          id: userId,
          created: row === undefined,
          password: u.password,
        });
      }
      const id = (n: string) => ids.get(n) as number;
      for (const [i, [x, y]] of app.friendships.entries()) {
        await at([...base, "friendships", i], () =>
          call("POST", "/user/add_roster", { list: [id(y)] }, id(x)),
        );
      }
      const groups = new Map<string, number>();
      for (const [i, g] of app.groups.entries()) {
        const row = t.db
          .prepare(
            "SELECT group_id FROM maxim_groups WHERE app_id = ? AND name = ? AND owner_id = ? AND status = 0 ORDER BY group_id LIMIT 1",
          )
          .get(app.appId, g.name, id(g.owner)) as { group_id: number } | undefined;
        const groupId =
          row?.group_id ??
          (
            (await at([...base, "groups", i], () =>
              call(
                "POST",
                "/group/create",
                {
                  name: g.name,
                  ...(g.description !== undefined ? { description: g.description } : {}),
                  user_list: [...new Set(g.members.map(id))].filter((x) => x !== id(g.owner)),
                },
                id(g.owner),
              ),
            )) as { group_id: number }
          ).group_id;
        groups.set(g.name, groupId);
      }
      if (!allNew) return;
      for (const [i, msg] of app.messages.entries()) {
        const target =
          msg.group !== undefined
            ? { targets: [groups.get(msg.group) as number], type: 2 }
            : { targets: [id(msg.to ?? "")], type: 1 };
        await at([...base, "messages", i], () =>
          call("POST", "/message/send", {
            ...target,
            content_type: 0,
            content: msg.text,
            from_user_id: id(msg.from),
          }),
        );
      }
    });
  }
}

async function applyWebQQ(w: NonNullable<Seed["webqq"]>, t: SeedTargets, report: SeedReport, at: At) {
  const { admin } = t.webqq;
  let allNew = w.accounts.length > 0;
  for (const [i, a] of w.accounts.entries()) {
    const existed = t.db.prepare("SELECT 1 FROM webqq_accounts WHERE qq = ?").get(a.qq) !== undefined;
    if (!existed)
      await at(["webqq", "accounts", i], () =>
        admin.createAccount({
          qq: a.qq,
          password: a.password,
          nick: a.nick,
          ...(a.longNick !== undefined ? { longNick: a.longNick } : {}),
        }),
      );
    allNew &&= !existed;
    report.accounts.push({
      platform: "webqq",
      login: String(a.qq),
      name: a.nick,
      id: a.qq,
      created: !existed,
      password: a.password,
    });
  }
  // Adding a friend twice is a no-op.
  for (const [i, [x, y]] of w.friends.entries())
    await at(["webqq", "friends", i], () => admin.addFriend(x, y));
  const groups = new Map<string, number>();
  for (const [i, g] of w.groups.entries()) {
    const row = t.db
      .prepare("SELECT gid FROM webqq_groups WHERE name = ? AND owner = ? ORDER BY created_at LIMIT 1")
      .get(g.name, g.owner) as { gid: number } | undefined;
    groups.set(g.name, row?.gid ?? (await at(["webqq", "groups", i], () => admin.createGroup(g))).gid);
  }
  const discus = new Map<string, number>();
  for (const [i, d] of w.discussions.entries()) {
    const row = t.db
      .prepare("SELECT did FROM webqq_discus WHERE name = ? AND owner = ? ORDER BY created_at LIMIT 1")
      .get(d.name, d.owner) as { did: number } | undefined;
    discus.set(
      d.name,
      row?.did ?? (await at(["webqq", "discussions", i], () => admin.createDiscussion(d))).did,
    );
  }
  if (!allNew) return;
  for (const [i, msg] of w.messages.entries()) {
    const target =
      msg.to !== undefined
        ? { to: msg.to }
        : msg.group !== undefined
          ? { group: groups.get(msg.group) as number }
          : { discu: discus.get(msg.discussion ?? "") as number };
    await at(["webqq", "messages", i], () => admin.sendAs({ from: msg.from, text: msg.text, ...target }));
  }
}

async function applyVkLive(v: NonNullable<Seed["vklive"]>, t: SeedTargets, report: SeedReport, at: At) {
  const { admin } = t.vklive;
  for (const [i, a] of v.apps.entries()) {
    const existing = t.db
      .prepare(
        a.clientId !== undefined
          ? "SELECT client_id FROM vklive_apps WHERE client_id = ?"
          : "SELECT client_id FROM vklive_apps WHERE redirect_uri = ? ORDER BY created_at LIMIT 1",
      )
      .get(a.clientId ?? a.redirectUri) as { client_id: string } | undefined;
    let clientId = existing?.client_id;
    if (!clientId) {
      clientId = await at(["vklive", "apps", i], () => {
        const app = admin.createApp({
          redirectUri: a.redirectUri,
          ...(a.webhookUrl !== undefined ? { webhookUrl: a.webhookUrl } : {}),
          ...(a.clientId !== undefined ? { clientId: a.clientId } : {}),
        });
        if (a.secret !== undefined)
          t.db
            .prepare("UPDATE vklive_apps SET secret_hash = ? WHERE client_id = ?")
            .run(vkHash(a.secret), app.clientId);
        return app.clientId;
      });
    }
    report.notes.push(
      `VK Live app ${clientId}${a.secret !== undefined ? ` (secret ${a.secret})` : ""}, redirect ${a.redirectUri}`,
    );
  }
  const ids = new Map<string, number>();
  let allNew = v.users.length > 0;
  for (const [i, u] of v.users.entries()) {
    const row = t.db.prepare("SELECT id FROM vklive_users WHERE nick = ? ORDER BY id LIMIT 1").get(u.nick) as
      | { id: number }
      | undefined;
    const userId = row?.id ?? (await at(["vklive", "users", i], () => admin.createUser(u))).userId;
    allNew &&= row === undefined;
    ids.set(u.nick, userId);
    report.accounts.push({
      platform: "vklive",
      login: u.nick,
      name: u.nick,
      id: userId,
      created: row === undefined,
    });
  }
  const id = (nick: string) => ids.get(nick) as number;
  for (const [i, c] of v.channels.entries()) {
    const base: Path = ["vklive", "channels", i];
    const existed = t.db.prepare("SELECT 1 FROM vklive_channels WHERE url = ?").get(c.url) !== undefined;
    if (!existed) await at(base, () => admin.createChannel({ ownerId: id(c.owner), url: c.url }));
    for (const [j, nick] of c.moderators.entries())
      await at([...base, "moderators", j], () => admin.addModerator({ channelUrl: c.url, userId: id(nick) }));
    // A restart keeps whatever state the stream is in now (someone may have stopped it).
    if (existed) continue;
    if (c.stream) {
      const s = c.stream;
      await at([...base, "stream"], () =>
        admin.startStream({
          channelUrl: c.url,
          ...(s.title !== undefined ? { title: s.title } : {}),
          ...(s.category !== undefined ? { categoryId: s.category } : {}),
          ...(s.viewers !== undefined ? { viewers: s.viewers } : {}),
        }),
      );
      report.notes.push(`VK Live channel ${c.url} is live${s.title ? `: ${s.title}` : ""}`);
    }
    for (const [j, nick] of c.followers.entries())
      await at([...base, "followers", j], () => admin.follow({ channelUrl: c.url, userId: id(nick) }));
    if (!allNew) continue;
    for (const [j, msg] of c.messages.entries())
      await at([...base, "messages", j], () =>
        admin.postMessage({ channelUrl: c.url, userId: id(msg.from), text: msg.text }),
      );
  }
}
