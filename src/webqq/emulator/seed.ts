/**
 * The `webqq:` section of a sandbox seed file (docs/seeds.md): accounts, friendships, groups,
 * discussions and first messages, all referred to by QQ number or name. Moved from
 * src/sandbox/seed (schema.ts + apply.ts) with the same rules and messages. Paths given to
 * SeedProblem are relative to the section (`["friends", 0, 1]`).
 */
import { z } from "zod";
import {
  type SeededAccount,
  type SeedLocator,
  SeedProblem,
  type SeedSection,
} from "../../core/emulator/plugin.js";
import type { Database } from "../../core/storage.js";
import type { WebQQAdmin } from "./admin.js";
import { accountExists, discussionByName, groupByName } from "./store/seed.js";

const Text = z.string().trim().min(1, "must not be empty");
const Qq = z
  .number()
  .int("must be an integer")
  .min(10_000, "must be a QQ number from 10000 to 4294967295")
  .max(0xffffffff, "must be a QQ number from 10000 to 4294967295");

const WebQQAccount = z.strictObject({
  qq: Qq,
  password: z.string().min(1).max(64),
  nick: Text.max(64),
  longNick: z.string().max(200).optional(),
});

const WebQQGroup = z.strictObject({
  name: Text.max(64),
  /** QQ number of the owner. */
  owner: Qq,
  members: z.array(Qq).default([]),
});

const WebQQMessage = z.strictObject({
  /** QQ number of the sender. */
  from: Qq,
  /** A friend's QQ number… */
  to: Qq.optional(),
  /** …or the name of a group… */
  group: Text.optional(),
  /** …or the name of a discussion. */
  discussion: Text.optional(),
  text: Text.max(4000),
});

export const WebQQSeed = z.strictObject({
  accounts: z.array(WebQQAccount).default([]),
  /** Pairs of QQ numbers that are friends (both ways). */
  friends: z.array(z.tuple([Qq, Qq])).default([]),
  groups: z.array(WebQQGroup).default([]),
  discussions: z.array(WebQQGroup).default([]),
  messages: z.array(WebQQMessage).default([]),
});

export type WebQQSeed = z.output<typeof WebQQSeed>;

type Path = (string | number)[];

/**
 * What the schema can't check: every reference names something the section defines, and
 * natural keys are unique. Returns the problems (empty when consistent).
 */
export function checkWebQQSeed(w: WebQQSeed): SeedProblem[] {
  const issues: SeedProblem[] = [];
  const bad = (path: Path, message: string): void => {
    issues.push(new SeedProblem(path, message));
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
  const qqs = unique(w.accounts, (a) => String(a.qq), ["accounts"], "qq", "QQ number");
  const account = (qq: number, path: Path) => {
    if (!qqs.has(String(qq))) bad(path, `no WebQQ account ${qq} in webqq.accounts`);
  };
  const friends = new Set<string>();
  w.friends.forEach(([x, y], i) => {
    account(x, ["friends", i, 0]);
    account(y, ["friends", i, 1]);
    if (x === y) bad(["friends", i], "an account can't befriend itself");
    friends.add(`${x}:${y}`).add(`${y}:${x}`);
  });
  for (const kind of ["groups", "discussions"] as const) {
    unique(w[kind], (g) => g.name, [kind], "name", `${kind.slice(0, -1)} name`);
    w[kind].forEach((g, i) => {
      account(g.owner, [kind, i, "owner"]);
      g.members.forEach((qq, j) => {
        account(qq, [kind, i, "members", j]);
      });
    });
  }
  w.messages.forEach((msg, i) => {
    const at = ["messages", i];
    account(msg.from, [...at, "from"]);
    const targets = [msg.to, msg.group, msg.discussion].filter((t) => t !== undefined);
    if (targets.length !== 1) bad(at, "give exactly one of to (a friend's QQ), group or discussion (a name)");
    if (msg.to !== undefined) {
      account(msg.to, [...at, "to"]);
      if (!friends.has(`${msg.from}:${msg.to}`))
        bad([...at, "to"], `${msg.from} and ${msg.to} are not friends in webqq.friends`);
    }
    for (const kind of ["group", "discussion"] as const) {
      const name = msg[kind];
      if (name === undefined) continue;
      const g = w[`${kind}s`].find((x) => x.name === name);
      if (!g) bad([...at, kind], `no WebQQ ${kind} "${name}" in webqq.${kind}s`);
      else if (![g.owner, ...g.members].includes(msg.from))
        bad([...at, "from"], `${msg.from} is not a member of ${kind} "${name}"`);
    }
  });
  return issues;
}

/** Runs `fn`; an emulator refusal becomes a SeedProblem at `path`. */
function at<T>(path: Path, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof SeedProblem) throw err;
    throw new SeedProblem(path, err instanceof Error ? err.message : String(err));
  }
}

/** Creates what a `webqq:` section describes, idempotently (a restart creates nothing twice). */
export function applyWebQQSeed(db: Database, admin: WebQQAdmin, w: WebQQSeed): SeededAccount[] {
  const problems = checkWebQQSeed(w);
  if (problems.length > 0) throw problems[0];
  const accounts: SeededAccount[] = [];
  let allNew = w.accounts.length > 0;
  for (const [i, a] of w.accounts.entries()) {
    const existed = accountExists(db, a.qq);
    if (!existed)
      at(["accounts", i], () =>
        admin.createAccount({
          qq: a.qq,
          password: a.password,
          nick: a.nick,
          ...(a.longNick !== undefined ? { longNick: a.longNick } : {}),
        }),
      );
    allNew &&= !existed;
    accounts.push({
      platform: "webqq",
      login: String(a.qq),
      name: a.nick,
      id: String(a.qq),
      created: !existed,
      notes: [`password: ${a.password}`],
    });
  }
  // Adding a friend twice is a no-op.
  for (const [i, [x, y]] of w.friends.entries()) at(["friends", i], () => admin.addFriend(x, y));
  const groups = new Map<string, number>();
  for (const [i, g] of w.groups.entries())
    groups.set(g.name, groupByName(db, g.name, g.owner) ?? at(["groups", i], () => admin.createGroup(g)).gid);
  const discus = new Map<string, number>();
  for (const [i, d] of w.discussions.entries())
    discus.set(
      d.name,
      discussionByName(db, d.name, d.owner) ?? at(["discussions", i], () => admin.createDiscussion(d)).did,
    );
  if (!allNew) return accounts;
  for (const [i, msg] of w.messages.entries()) {
    const target =
      msg.to !== undefined
        ? { to: msg.to }
        : msg.group !== undefined
          ? { group: groups.get(msg.group) as number }
          : { discu: discus.get(msg.discussion ?? "") as number };
    at(["messages", i], () => admin.sendAs({ from: msg.from, text: msg.text, ...target }));
  }
  return accounts;
}

/** The SeedSection the WebQQ plugin hands the sandbox. */
export function webqqSeedSection(db: Database, admin: WebQQAdmin): SeedSection<WebQQSeed> {
  return {
    schema: WebQQSeed as unknown as z.ZodType<WebQQSeed>,
    async apply(section: WebQQSeed, _at: SeedLocator) {
      return applyWebQQSeed(db, admin, section);
    },
  };
}
