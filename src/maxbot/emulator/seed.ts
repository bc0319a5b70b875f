/**
 * The Bot API's section of a sandbox seed file (`maxbot:`): bots by username, each optionally
 * with its token (so a demo's bot code can hold a fixed token). Idempotent: a bot whose username
 * already exists is kept (a seed token given for it becomes its token). A bot created without a
 * seed token gets a fresh one, shown once in the start-up banner.
 */
import { z } from "zod";
import { type SeededAccount, SeedProblem, type SeedSection } from "../../core/emulator/plugin.js";
import type { MaxBotAdmin } from "./admin.js";

const SeedBot = z.strictObject({
  name: z.string().trim().min(1, "must not be empty").max(64),
  username: z
    .string()
    .regex(/^[A-Za-z][A-Za-z0-9_]{2,63}$/, "3-64 letters, digits or _, starting with a letter"),
  description: z.string().max(400).optional(),
  /** The bot's token (kept hashed); without it a new token is made and shown once. */
  token: z
    .string()
    .regex(/^[\w-]{16,256}$/, "16-256 characters of A-Z, a-z, 0-9, _ and -")
    .optional(),
});

export const MaxBotSeed = z.strictObject({ bots: z.array(SeedBot).default([]) });
export type MaxBotSeed = z.infer<typeof MaxBotSeed>;

export function maxbotSeedSection(admin: MaxBotAdmin): SeedSection<MaxBotSeed> {
  return {
    schema: MaxBotSeed,
    async apply(section) {
      const seen = new Set<string>();
      for (const [i, b] of section.bots.entries()) {
        const key = b.username.toLowerCase();
        if (seen.has(key))
          throw new SeedProblem(["maxbot", "bots", i, "username"], `duplicate username ${b.username}`);
        seen.add(key);
      }
      const accounts: SeededAccount[] = [];
      for (const b of section.bots) {
        const existing = admin.bots().find((x) => x.username?.toLowerCase() === b.username.toLowerCase());
        if (existing) {
          if (b.token) admin.setToken(existing.userId, b.token);
          accounts.push({
            platform: "maxbot",
            login: b.username,
            name: existing.name,
            id: String(existing.userId),
            created: false,
          });
          continue;
        }
        const input: { name: string; username: string; description?: string; token?: string } = {
          name: b.name,
          username: b.username,
        };
        if (b.description !== undefined) input.description = b.description;
        if (b.token !== undefined) input.token = b.token;
        const { token, userId } = admin.createBot(input);
        const account: SeededAccount = {
          platform: "maxbot",
          login: b.username,
          name: b.name,
          id: String(userId),
          created: true,
        };
        // A token the seed did not give is known only now: the banner shows it once.
        if (!b.token) account.notes = [`token ${token}`];
        accounts.push(account);
      }
      return accounts;
    },
  };
}
