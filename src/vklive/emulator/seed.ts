/**
 * The `vklive:` section of a sandbox seed file (moved from src/sandbox/seed): apps, users by
 * nick, channels by url with their owner, moderators, followers, an optional live stream and
 * chat messages. References (nicks) are checked by the schema; applying is idempotent — what a
 * natural key already names is kept, and messages are posted only when every user was new.
 */
import { z } from "zod";
import {
  type SeededAccount,
  type SeedLocator,
  SeedProblem,
  type SeedSection,
} from "../../core/emulator/plugin.js";
import { hashSecret } from "./context.js";
import { CATEGORIES } from "./rest.js";
import type { VkLiveEmulator } from "./server.js";
import type { VkLiveStore } from "./store/index.js";

const Text = z.string().trim().min(1, "must not be empty");
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

/** The section's shape, without the reference checks (see `VkLiveSeedSchema`). */
export const VkLiveSeedShape = z.strictObject({
  apps: z.array(VkLiveApp).default([]),
  users: z.array(VkLiveUser).default([]),
  channels: z.array(VkLiveChannel).default([]),
});

export type VkLiveSeed = z.output<typeof VkLiveSeedShape>;

export interface VkLiveSeedIssue {
  /** Path inside the section (`["channels", 0, "followers", 0]`). */
  path: (string | number)[];
  message: string;
}

/** What the shape can't check: unique natural keys and nicks that name a user of the section. */
export function checkVkLiveSeed(v: VkLiveSeed): VkLiveSeedIssue[] {
  const issues: VkLiveSeedIssue[] = [];
  const bad = (path: (string | number)[], message: string) => {
    issues.push({ path, message });
  };
  const unique = <T>(
    items: T[],
    key: (t: T) => string | undefined,
    path: string,
    field: string,
    what: string,
  ) => {
    const seen = new Set<string>();
    items.forEach((item, i) => {
      const k = key(item);
      if (k === undefined) return;
      if (seen.has(k)) bad([path, i, field], `duplicate ${what} ${k}`);
      seen.add(k);
    });
    return seen;
  };
  unique(v.apps, (a) => a.clientId, "apps", "clientId", "clientId");
  const nicks = unique(v.users, (u) => u.nick, "users", "nick", "VK Live nick");
  const user = (n: string, path: (string | number)[]) => {
    if (!nicks.has(n)) bad(path, `no VK Live user with nick ${n} in vklive.users`);
  };
  unique(v.channels, (c) => c.url, "channels", "url", "channel url");
  v.channels.forEach((c, i) => {
    const at = ["channels", i];
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
  return issues;
}

/** The section's schema: the shape plus the reference checks (issues at their place in the section). */
export const VkLiveSeedSchema = VkLiveSeedShape.superRefine((v, ctx) => {
  for (const issue of checkVkLiveSeed(v))
    ctx.addIssue({ code: "custom", path: issue.path, message: issue.message });
});

type Path = (string | number)[];

/** Runs `fn`; an error it throws becomes a SeedProblem at `path` (whole-file path, `vklive` first). */
async function at<T>(path: Path, fn: () => T | Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof SeedProblem) throw err;
    throw new SeedProblem(path, err instanceof Error ? err.message : String(err));
  }
}

/** The seed section of one VK Live emulator: applies through its admin object and store. */
export function vkliveSeedSection(emu: VkLiveEmulator, store: VkLiveStore): SeedSection<VkLiveSeed> {
  return {
    schema: VkLiveSeedSchema as unknown as z.ZodType<VkLiveSeed>,
    apply: (section, _locate: SeedLocator) => applyVkLiveSeed(section, emu, store),
  };
}

/**
 * Creates what the section describes. Notes for the banner: each app's note goes on the first
 * user's account, a live channel's note on its owner's.
 */
export async function applyVkLiveSeed(
  v: VkLiveSeed,
  emu: VkLiveEmulator,
  store: VkLiveStore,
): Promise<SeededAccount[]> {
  const { admin } = emu;
  const appNotes: string[] = [];
  for (const [i, a] of v.apps.entries()) {
    let clientId = store.appClientId(
      a.clientId !== undefined ? { clientId: a.clientId } : { redirectUri: a.redirectUri },
    );
    if (!clientId) {
      clientId = await at(["vklive", "apps", i], () => {
        const app = admin.createApp({
          redirectUri: a.redirectUri,
          ...(a.webhookUrl !== undefined ? { webhookUrl: a.webhookUrl } : {}),
          ...(a.clientId !== undefined ? { clientId: a.clientId } : {}),
        });
        if (a.secret !== undefined) store.setAppSecretHash(app.clientId, hashSecret(a.secret));
        return app.clientId;
      });
    }
    appNotes.push(
      `VK Live app ${clientId}${a.secret !== undefined ? ` (secret ${a.secret})` : ""}, redirect ${a.redirectUri}`,
    );
  }
  const ids = new Map<string, number>();
  const accounts = new Map<string, SeededAccount>();
  let allNew = v.users.length > 0;
  for (const [i, u] of v.users.entries()) {
    const existing = store.userIdByNick(u.nick);
    const userId = existing ?? (await at(["vklive", "users", i], () => admin.createUser(u))).userId;
    allNew &&= existing === undefined;
    ids.set(u.nick, userId);
    accounts.set(u.nick, {
      platform: "vklive",
      login: u.nick,
      name: u.nick,
      id: String(userId),
      created: existing === undefined,
    });
  }
  const note = (nick: string | undefined, text: string) => {
    const account = nick === undefined ? accounts.values().next().value : accounts.get(nick);
    if (account) account.notes = [...(account.notes ?? []), text];
  };
  for (const text of appNotes) note(undefined, text);
  const id = (nick: string) => ids.get(nick) as number;
  for (const [i, c] of v.channels.entries()) {
    const base: Path = ["vklive", "channels", i];
    const existed = store.channelExists(c.url);
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
      note(c.owner, `VK Live channel ${c.url} is live${s.title ? `: ${s.title}` : ""}`);
    }
    for (const [j, nick] of c.followers.entries())
      await at([...base, "followers", j], () => admin.follow({ channelUrl: c.url, userId: id(nick) }));
    if (!allNew) continue;
    for (const [j, msg] of c.messages.entries())
      await at([...base, "messages", j], () =>
        admin.postMessage({ channelUrl: c.url, userId: id(msg.from), text: msg.text }),
      );
  }
  return [...accounts.values()];
}
