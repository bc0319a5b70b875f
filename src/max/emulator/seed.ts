/**
 * The `max:` section of a sandbox seed file (docs/seeds.md): users by phone, groups and channels
 * by title, and a first conversation. Everything is referred to by natural keys; applying is
 * idempotent (what a phone or title already names is kept, and messages are posted only when
 * every user of the section was created now).
 */
import { z } from "zod";
import {
  type SeededAccount,
  type SeedLocator,
  SeedProblem,
  type SeedSection,
} from "../../core/emulator/plugin.js";
import { AdminError, type MaxAdmin } from "./admin.js";
import type { Repos } from "./store/index.js";
import { normalizePhone } from "./store/users.js";

const Text = z.string().trim().min(1, "must not be empty");
const Phone = z
  .string()
  .refine(
    (s) => normalizePhone(s) !== undefined,
    "must be an international phone number such as +79001234567",
  );

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

/** The section as a strict object (unknown keys refused), without the reference checks. */
export const MaxSeedObject = z.strictObject({
  users: z.array(MaxUser).default([]),
  chats: z.array(MaxChat).default([]),
  messages: z.array(MaxMessage).default([]),
});

export type MaxSeed = z.output<typeof MaxSeedObject>;

export interface MaxSeedIssue {
  /** From the section's root (`["users", 0, "phone"]`). */
  path: (string | number)[];
  message: string;
}

/**
 * What the schema can't check: every phone or title referred to is defined in the section, and
 * natural keys are unique. Empty when the section is consistent.
 */
export function checkMaxReferences(m: MaxSeed): MaxSeedIssue[] {
  const issues: MaxSeedIssue[] = [];
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
  const phone = (p: string) => normalizePhone(p) ?? p;
  const phones = unique(m.users, (u) => phone(u.phone), ["users"], "phone", "MAX phone");
  const user = (p: string, path: (string | number)[]) => {
    if (!phones.has(phone(p))) bad(path, `no MAX user with phone ${p} in max.users`);
  };
  unique(m.chats, (c) => c.title, ["chats"], "title", "MAX chat title");
  m.chats.forEach((c, i) => {
    user(c.owner, ["chats", i, "owner"]);
    c.members.forEach((p, j) => {
      user(p, ["chats", i, "members", j]);
    });
  });
  m.messages.forEach((msg, i) => {
    const at = ["messages", i];
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
  return issues;
}

/**
 * The section's schema: strict, and reference problems reported as issues at their place, so a
 * bad seed file is refused (with every problem listed) before anything listens.
 */
export const MaxSeedSchema = MaxSeedObject.superRefine((m, ctx) => {
  for (const issue of checkMaxReferences(m))
    ctx.addIssue({ code: "custom", path: issue.path, message: issue.message });
});

/** A MAX account a seed created or found; `userId`, `phone` and `password` for the banner. */
export interface MaxSeededAccount extends SeededAccount {
  platform: "max";
  userId: number;
  phone: string;
  /** The 2FA password, if the seed gives one. */
  password?: string;
}

export interface MaxSeedTarget {
  admin: MaxAdmin;
  repos: Repos;
}

/**
 * Applies a validated section. Problems are SeedProblems whose path starts at the seed file's
 * root (`["max", "users", 0]`).
 */
export async function applyMaxSeed(m: MaxSeed, t: MaxSeedTarget): Promise<MaxSeededAccount[]> {
  const problems = checkMaxReferences(m);
  if (problems[0]) throw new SeedProblem(["max", ...problems[0].path], problems[0].message);
  const out: MaxSeededAccount[] = [];
  const at = <T>(path: (string | number)[], fn: () => T): T => {
    try {
      return fn();
    } catch (err) {
      if (err instanceof SeedProblem) throw err;
      const message = err instanceof AdminError || err instanceof Error ? err.message : String(err);
      throw new SeedProblem(["max", ...path], message);
    }
  };
  const ids = new Map<string, number>();
  const phone = (p: string) => normalizePhone(p) ?? p;
  const id = (p: string) => ids.get(phone(p)) as number;
  let allNew = m.users.length > 0;
  for (const [i, u] of m.users.entries()) {
    const key = phone(u.phone);
    const existing = t.repos.users.byPhone(key);
    const userId = existing
      ? existing.id
      : at(["users", i], () => t.admin.createUser({ ...u, phone: key }).userId);
    allNew &&= !existing;
    ids.set(key, userId);
    const name = [u.firstName, u.lastName].filter(Boolean).join(" ");
    const account: MaxSeededAccount = {
      platform: "max",
      login: key,
      name,
      id: String(userId),
      userId,
      phone: key,
      created: !existing,
    };
    if (u.password !== undefined) {
      account.password = u.password;
      account.notes = [`2FA password: ${u.password}`];
    }
    out.push(account);
  }
  const chats = new Map<string, number>();
  for (const [i, c] of m.chats.entries()) {
    const owner = id(c.owner);
    const found = t.repos.chats.byTitle(c.type, c.title, owner);
    const chatId =
      found?.id ??
      at(["chats", i], () => {
        const memberIds = [...new Set(c.members.map(id))].filter((x) => x !== owner);
        return t.admin.createChat({ ownerId: owner, type: c.type, title: c.title, memberIds }).chatId;
      });
    chats.set(c.title, chatId);
  }
  // Conversations only on the first start: a restart must not post them again.
  if (!allNew) return out;
  for (const [i, msg] of m.messages.entries()) {
    at(["messages", i], () =>
      t.admin.sendMessage({
        fromUserId: id(msg.from),
        text: msg.text,
        ...(msg.chat !== undefined
          ? { chatId: chats.get(msg.chat) as number }
          : { toUserId: id(msg.to ?? "") }),
      }),
    );
  }
  return out;
}

/** The `max:` SeedSection of one emulator. */
export function maxSeedSection(t: MaxSeedTarget): SeedSection<MaxSeed> {
  return {
    schema: MaxSeedSchema as unknown as z.ZodType<MaxSeed>,
    apply: (section: MaxSeed, _at: SeedLocator) => applyMaxSeed(section, t),
  };
}
