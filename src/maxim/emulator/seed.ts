/**
 * MaxIM's section of a sandbox seed file (`maxim:`), moved from the sandbox's seed schema and
 * apply step: apps with users, friendships, groups and messages, all named by natural keys
 * (appId, username, group name). Applying goes through MaxIM's own REST API in-process with a
 * throwaway admin token, and is idempotent: whatever a natural key already names is kept, and
 * messages are posted only when every user of the app was created now.
 */
import { z } from "zod";
import {
  type SeededAccount,
  type SeedLocator,
  SeedProblem,
  type SeedSection,
} from "../../core/emulator/plugin.js";
import { Password as MaxImPassword, Username as MaxImUsername } from "../protocol.js";
import { withMaxImAdmin } from "./console-admin.js";
import type { MaxImEmulator } from "./server.js";

const Text = z.string().trim().min(1, "must not be empty");

const MaxImUser = z.strictObject({
  username: MaxImUsername,
  password: MaxImPassword,
});

const MaxImGroup = z.strictObject({
  name: Text.max(128),
  description: z.string().max(1024).optional(),
  /** Username of the owner. */
  owner: MaxImUsername,
  members: z.array(MaxImUsername).default([]),
});

const MaxImMessage = z.strictObject({
  /** Username of the sender. */
  from: MaxImUsername,
  /** Username of the receiver… */
  to: MaxImUsername.optional(),
  /** …or the name of a group of this app. */
  group: Text.optional(),
  text: Text.max(64 * 1024),
});

const MaxImApp = z.strictObject({
  appId: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, "must be 1-64 of [A-Za-z0-9_-]"),
  /** Admin token (`access-token` header) to accept for this app; given tokens are kept. */
  adminToken: z.string().min(8, "must be at least 8 characters").max(256).optional(),
  users: z.array(MaxImUser).default([]),
  /** Pairs of usernames that are friends (both ways). */
  friendships: z.array(z.tuple([MaxImUsername, MaxImUsername])).default([]),
  groups: z.array(MaxImGroup).default([]),
  messages: z.array(MaxImMessage).default([]),
});

type Path = (string | number)[];
type Issue = { path: Path; message: string };

/**
 * What the schema can't check: every reference names something this section defines, and
 * natural keys are unique. Paths are relative to the `maxim` section.
 */
export function checkMaxImSeed(seed: z.output<typeof MaxImSeedShape>): Issue[] {
  const issues: Issue[] = [];
  const bad = (path: Path, message: string): void => {
    issues.push({ path, message });
  };
  const unique = <T>(items: T[], key: (t: T) => string, path: Path, field: string, what: string) => {
    const seen = new Set<string>();
    items.forEach((item, i) => {
      const k = key(item);
      if (seen.has(k)) bad([...path, i, field], `duplicate ${what} ${k}`);
      seen.add(k);
    });
    return seen;
  };
  unique(seed.apps, (a) => a.appId, ["apps"], "appId", "MaxIM appId");
  seed.apps.forEach((app, a) => {
    const base: Path = ["apps", a];
    const names = unique(app.users, (u) => u.username, [...base, "users"], "username", "username");
    const user = (n: string, path: Path) => {
      if (!names.has(n)) bad(path, `no MaxIM user ${n} in this app's users`);
    };
    app.friendships.forEach(([x, y], i) => {
      user(x, [...base, "friendships", i, 0]);
      user(y, [...base, "friendships", i, 1]);
      if (x === y) bad([...base, "friendships", i], "a user can't befriend itself");
    });
    unique(app.groups, (g) => g.name, [...base, "groups"], "name", "group name");
    app.groups.forEach((g, i) => {
      user(g.owner, [...base, "groups", i, "owner"]);
      g.members.forEach((n, j) => {
        user(n, [...base, "groups", i, "members", j]);
      });
    });
    app.messages.forEach((msg, i) => {
      const at = [...base, "messages", i];
      user(msg.from, [...at, "from"]);
      if ((msg.to === undefined) === (msg.group === undefined))
        bad(at, "give exactly one of to (a username) or group (a group name)");
      if (msg.to !== undefined) user(msg.to, [...at, "to"]);
      if (msg.group !== undefined) {
        const g = app.groups.find((x) => x.name === msg.group);
        if (!g) bad([...at, "group"], `no MaxIM group "${msg.group}" in this app's groups`);
        else if (![g.owner, ...g.members].includes(msg.from))
          bad([...at, "from"], `${msg.from} is not a member of "${msg.group}"`);
      }
    });
  });
  return issues;
}

const MaxImSeedShape = z.strictObject({
  apps: z.array(MaxImApp).default([]),
});

/** The `maxim:` section: its shape, then the reference checks (issues at their YAML paths). */
export const MaxImSeed = MaxImSeedShape.superRefine((seed, ctx) => {
  for (const issue of checkMaxImSeed(seed))
    ctx.addIssue({ code: "custom", path: issue.path, message: issue.message });
});
export type MaxImSeed = z.output<typeof MaxImSeed>;

/** Runs `fn`; an emulator's refusal becomes a SeedProblem at `path` (a full seed path). */
async function at<T>(path: Path, fn: () => T | Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof SeedProblem) throw err;
    throw new SeedProblem(path, err instanceof Error ? err.message : String(err));
  }
}

/** Applies a validated `maxim:` section; paths in problems start with `maxim`. */
export async function applyMaxImSeed(maxim: MaxImEmulator, m: MaxImSeed): Promise<SeededAccount[]> {
  const accounts: SeededAccount[] = [];
  for (const [a, app] of m.apps.entries()) {
    const base: Path = ["maxim", "apps", a];
    const existed = maxim.admin.hasApp(app.appId);
    await at([...base, "appId"], () => {
      if (!existed) maxim.admin.createApp(app.appId, app.adminToken ? { adminToken: app.adminToken } : {});
      // An existing app keeps its tokens; the seed's one is added unless it is already the main one.
      else if (app.adminToken) maxim.admin.addAdminToken(app.appId, app.adminToken);
    });
    const notes = app.adminToken ? [`MaxIM app ${app.appId}: admin token ${app.adminToken}`] : [];
    const appAccounts: SeededAccount[] = [];
    // A throwaway admin token for the calls below, removed afterwards.
    await withMaxImAdmin(maxim, app.appId, "seed", async (call) => {
      const ids = new Map<string, number>();
      let allNew = app.users.length > 0;
      for (const [i, u] of app.users.entries()) {
        const found = maxim.store.console.userIdByName(app.appId, u.username);
        let userId = found;
        if (userId === undefined) {
          const data = (await at([...base, "users", i], () =>
            call("POST", "/user/register/v2", { username: u.username, password: u.password }),
          )) as { user_id?: number };
          userId = data.user_id ?? (maxim.store.console.userIdByName(app.appId, u.username) as number);
        }
        allNew &&= found === undefined;
        ids.set(u.username, userId);
        appAccounts.push({
          platform: "maxim",
          login: u.username,
          name: u.username,
          id: String(userId),
          created: found === undefined,
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
        const groupId =
          maxim.store.console.groupIdByName(app.appId, g.name, id(g.owner)) ??
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
    // The app's notes (its admin token) go with its first account, or with the app itself.
    const first = appAccounts[0];
    if (notes.length && first) first.notes = notes;
    else if (notes.length)
      appAccounts.push({
        platform: "maxim",
        login: app.appId,
        name: `app ${app.appId}`,
        id: app.appId,
        created: !existed,
        notes,
      });
    accounts.push(...appAccounts);
  }
  return accounts;
}

/** The SeedSection the sandbox applies for `maxim:`. */
export function maximSeedSection(maxim: MaxImEmulator): SeedSection<MaxImSeed> {
  return {
    schema: MaxImSeed as unknown as z.ZodType<MaxImSeed>,
    apply: (section: MaxImSeed, _at: SeedLocator) => applyMaxImSeed(maxim, section),
  };
}
