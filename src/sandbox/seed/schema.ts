/**
 * The seed file: a declarative description of the world a sandbox starts with (`--seed file.yaml`).
 * Everything is referred to by natural keys (MAX phone, MaxIM username, QQ number, VK Live nick or
 * channel url), never by the ids the emulators hand out. See docs/seeds.md.
 */
import { z } from "zod";
import { normalizePhone } from "../../max/emulator/store/users.js";
import { Password as MaxImPassword, Username as MaxImUsername } from "../../maxim/protocol.js";
import { CATEGORIES } from "../../vklive/emulator/rest.js";

const Text = z.string().trim().min(1, "must not be empty");
const Phone = z
  .string()
  .refine(
    (s) => normalizePhone(s) !== undefined,
    "must be an international phone number such as +79001234567",
  );
const Qq = z
  .number()
  .int("must be an integer")
  .min(10_000, "must be a QQ number from 10000 to 4294967295")
  .max(0xffffffff, "must be a QQ number from 10000 to 4294967295");

// ---------------------------------------------------------------- MAX

const MaxUser = z.strictObject({
  phone: Phone,
  firstName: Text,
  lastName: z.string().optional(),
  /** Cloud (2FA) password. */
  password: z.string().min(1).max(256).optional(),
});

const MaxChat = z.strictObject({
  type: z.enum(["CHAT", "CHANNEL"]),
  title: Text.max(200),
  /** Phone of the owner. */
  owner: Phone,
  /** Phones of the other members (subscribers of a channel). */
  members: z.array(Phone).default([]),
});

const MaxMessage = z.strictObject({
  /** Phone of the sender. */
  from: Phone,
  /** Title of a chat or channel of this seed… */
  chat: Text.optional(),
  /** …or the phone of the other side of a dialog. */
  to: Phone.optional(),
  text: Text.max(4000),
});

const MaxSeed = z.strictObject({
  users: z.array(MaxUser).default([]),
  chats: z.array(MaxChat).default([]),
  messages: z.array(MaxMessage).default([]),
});

// ---------------------------------------------------------------- MaxIM

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

const MaxImSeed = z.strictObject({
  apps: z.array(MaxImApp).default([]),
});

// ---------------------------------------------------------------- WebQQ

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

const WebQQSeed = z.strictObject({
  accounts: z.array(WebQQAccount).default([]),
  /** Pairs of QQ numbers that are friends (both ways). */
  friends: z.array(z.tuple([Qq, Qq])).default([]),
  groups: z.array(WebQQGroup).default([]),
  discussions: z.array(WebQQGroup).default([]),
  messages: z.array(WebQQMessage).default([]),
});

// ---------------------------------------------------------------- VK Live

const CATEGORY_IDS = CATEGORIES.map((c) => c.id);

const VkLiveApp = z
  .strictObject({
    redirectUri: z.string().regex(/^https?:\/\/[^\s#]+$/, "must be an http(s) URL"),
    /** Fixed client id (default: a random one on each fresh database). */
    clientId: z
      .string()
      .regex(/^[A-Za-z0-9_-]{1,64}$/, "must be 1-64 of [A-Za-z0-9_-]")
      .optional(),
    /** Fixed client secret (needs clientId). */
    secret: z.string().min(8, "must be at least 8 characters").max(256).optional(),
    webhookUrl: z.url().optional(),
  })
  .refine((a) => a.secret === undefined || a.clientId !== undefined, {
    message: "a fixed secret needs a fixed clientId",
    path: ["secret"],
  });

const VkLiveUser = z.strictObject({
  nick: Text.max(64),
  nickColor: z.number().int().min(0).max(15).optional(),
});

const VkLiveStream = z.strictObject({
  title: z.string().max(140).optional(),
  category: z
    .string()
    .refine((c) => CATEGORY_IDS.includes(c), `must be one of ${CATEGORY_IDS.join(", ")}`)
    .optional(),
  viewers: z.number().int().min(0).max(10_000_000).optional(),
});

const VkLiveChannel = z.strictObject({
  url: z.string().regex(/^[A-Za-z0-9_.-]{1,100}$/, "must be 1-100 of [A-Za-z0-9_.-]"),
  /** Nick of the owner. */
  owner: Text,
  /** A live stream on the channel (omit for an offline channel). */
  stream: VkLiveStream.optional(),
  /** Nicks. */
  moderators: z.array(Text).default([]),
  followers: z.array(Text).default([]),
  /** Chat messages, in order. */
  messages: z.array(z.strictObject({ from: Text, text: Text.max(500) })).default([]),
});

const VkLiveSeed = z.strictObject({
  apps: z.array(VkLiveApp).default([]),
  users: z.array(VkLiveUser).default([]),
  channels: z.array(VkLiveChannel).default([]),
});

// ---------------------------------------------------------------- file

export const SeedFile = z.strictObject({
  /** Free text shown nowhere; for the file's reader. */
  description: z.string().optional(),
  max: MaxSeed.optional(),
  maxim: MaxImSeed.optional(),
  webqq: WebQQSeed.optional(),
  vklive: VkLiveSeed.optional(),
});

/** A validated seed (defaults filled in). */
export type Seed = z.output<typeof SeedFile>;
/** A seed as written (optional lists may be left out). */
export type SeedInput = z.input<typeof SeedFile>;

export interface SeedIssue {
  path: (string | number)[];
  message: string;
}

/**
 * Checks what the schema can't: every reference names something the seed defines, and natural
 * keys are unique. Returns the problems (empty when the seed is consistent).
 */
export function checkReferences(seed: Seed): SeedIssue[] {
  const issues: SeedIssue[] = [];
  const bad = (path: (string | number)[], message: string): void => {
    issues.push({ path, message });
  };
  const unique = <T>(
    items: T[],
    key: (t: T) => string | undefined,
    path: (string | number)[],
    field: string,
    what: string,
  ) => {
    const seen = new Set<string>();
    items.forEach((item, i) => {
      const k = key(item);
      if (k === undefined) return;
      if (seen.has(k)) bad([...path, i, field], `duplicate ${what} ${k}`);
      seen.add(k);
    });
    return seen;
  };

  if (seed.max) {
    const m = seed.max;
    const phone = (p: string) => normalizePhone(p) ?? p;
    const phones = unique(m.users, (u) => phone(u.phone), ["max", "users"], "phone", "MAX phone");
    const user = (p: string, path: (string | number)[]) => {
      if (!phones.has(phone(p))) bad(path, `no MAX user with phone ${p} in max.users`);
    };
    unique(m.chats, (c) => c.title, ["max", "chats"], "title", "MAX chat title");
    m.chats.forEach((c, i) => {
      user(c.owner, ["max", "chats", i, "owner"]);
      c.members.forEach((p, j) => {
        user(p, ["max", "chats", i, "members", j]);
      });
    });
    m.messages.forEach((msg, i) => {
      const at = ["max", "messages", i];
      user(msg.from, [...at, "from"]);
      if ((msg.chat === undefined) === (msg.to === undefined))
        bad(at, "give exactly one of chat (a chat title) or to (a phone)");
      if (msg.to !== undefined) {
        user(msg.to, [...at, "to"]);
        if (phone(msg.to) === phone(msg.from)) bad([...at, "to"], "a message can't be sent to its sender");
      }
      if (msg.chat !== undefined) {
        const chat = m.chats.find((c) => c.title === msg.chat);
        if (!chat) bad([...at, "chat"], `no MAX chat titled "${msg.chat}" in max.chats`);
        else if (![chat.owner, ...chat.members].some((p) => phone(p) === phone(msg.from)))
          bad([...at, "from"], `${msg.from} is not a member of "${msg.chat}"`);
      }
    });
  }

  if (seed.maxim) {
    unique(seed.maxim.apps, (a) => a.appId, ["maxim", "apps"], "appId", "MaxIM appId");
    seed.maxim.apps.forEach((app, a) => {
      const base = ["maxim", "apps", a];
      const names = unique(app.users, (u) => u.username, [...base, "users"], "username", "username");
      const user = (n: string, path: (string | number)[]) => {
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
  }

  if (seed.webqq) {
    const w = seed.webqq;
    const qqs = unique(w.accounts, (a) => String(a.qq), ["webqq", "accounts"], "qq", "QQ number");
    const account = (qq: number, path: (string | number)[]) => {
      if (!qqs.has(String(qq))) bad(path, `no WebQQ account ${qq} in webqq.accounts`);
    };
    const friends = new Set<string>();
    w.friends.forEach(([x, y], i) => {
      account(x, ["webqq", "friends", i, 0]);
      account(y, ["webqq", "friends", i, 1]);
      if (x === y) bad(["webqq", "friends", i], "an account can't befriend itself");
      friends.add(`${x}:${y}`).add(`${y}:${x}`);
    });
    for (const kind of ["groups", "discussions"] as const) {
      unique(w[kind], (g) => g.name, ["webqq", kind], "name", `${kind.slice(0, -1)} name`);
      w[kind].forEach((g, i) => {
        account(g.owner, ["webqq", kind, i, "owner"]);
        g.members.forEach((qq, j) => {
          account(qq, ["webqq", kind, i, "members", j]);
        });
      });
    }
    w.messages.forEach((msg, i) => {
      const at = ["webqq", "messages", i];
      account(msg.from, [...at, "from"]);
      const targets = [msg.to, msg.group, msg.discussion].filter((t) => t !== undefined);
      if (targets.length !== 1)
        bad(at, "give exactly one of to (a friend's QQ), group or discussion (a name)");
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
  }

  if (seed.vklive) {
    const v = seed.vklive;
    unique(v.apps, (a) => a.clientId, ["vklive", "apps"], "clientId", "clientId");
    const nicks = unique(v.users, (u) => u.nick, ["vklive", "users"], "nick", "VK Live nick");
    const user = (n: string, path: (string | number)[]) => {
      if (!nicks.has(n)) bad(path, `no VK Live user with nick ${n} in vklive.users`);
    };
    unique(v.channels, (c) => c.url, ["vklive", "channels"], "url", "channel url");
    v.channels.forEach((c, i) => {
      const at = ["vklive", "channels", i];
      user(c.owner, [...at, "owner"]);
      c.moderators.forEach((n, j) => {
        user(n, [...at, "moderators", j]);
      });
      c.followers.forEach((n, j) => {
        user(n, [...at, "followers", j]);
      });
      c.messages.forEach((msg, j) => {
        user(msg.from, [...at, "messages", j, "from"]);
      });
    });
  }
  return issues;
}
