/**
 * Sandbox administration of bots (what MasterBot does on the real platform): create a bot (a MAX
 * user flagged as bot plus its token, kept only as a sha256 hash), list bots, and put a bot into
 * a MAX chat as member or admin. Used by the admin routes, the console and seeds.
 */
import { randomBytes } from "node:crypto";
import type { MaxBotContext } from "./context.js";
import { BotApiError } from "./errors.js";
import { botIdByTokenHash, getBot, hashToken, insertBot, listBots, setTokenHash } from "./store/bots.js";
import { queuedCount } from "./store/updates.js";
import type { MaxBotWorld } from "./world.js";

export interface BotSummary {
  userId: number;
  name: string;
  username: string | null;
  createdAt: number;
  /** Updates waiting in its queue (not yet committed by a marker or delivered by webhook). */
  queued: number;
}

export interface MaxBotAdmin {
  /** Creates a bot; the token (`token` if given, else a new one) is returned once and never stored in clear. */
  createBot(input: { name: string; username?: string; description?: string; token?: string }): {
    token: string;
    userId: number;
  };
  /** Replaces a bot's token (seeds that name one). */
  setToken(botId: number, token: string): void;
  bots(): BotSummary[];
  /** Adds the bot to a MAX chat (as admin when `admin`), on behalf of `byUserId` or the chat's owner. */
  addToChat(botId: number, chatId: number, options: { admin?: boolean; byUserId?: number }): void;
}

/** The world's optional admin entry (see notes-world): adds a bot on behalf of the chat's owner. */
type WorldWithAdmin = MaxBotWorld & {
  addBotToChat?: (chatId: number, botId: number, admin: boolean) => void;
};

export function createBotAdmin(ctx: MaxBotContext): MaxBotAdmin {
  const world = ctx.world as WorldWithAdmin;
  return {
    createBot(input) {
      const token = input.token ?? randomBytes(32).toString("base64url");
      const profile: { name: string; username?: string; description?: string } = { name: input.name };
      if (input.username !== undefined) profile.username = input.username;
      if (input.description !== undefined) profile.description = input.description;
      return ctx.db.transaction(() => {
        if (input.token !== undefined && botIdByTokenHash(ctx.db, hashToken(token)) !== undefined) {
          throw new BotApiError(409, "conflict", "This token belongs to another bot");
        }
        const { userId } = world.createBot(profile);
        insertBot(ctx.db, userId, hashToken(token), input.name, ctx.clock.now());
        return { token, userId };
      })();
    },

    setToken(botId, token) {
      const owner = botIdByTokenHash(ctx.db, hashToken(token));
      if (owner !== undefined && owner !== botId)
        throw new BotApiError(409, "conflict", "This token belongs to another bot");
      setTokenHash(ctx.db, botId, hashToken(token));
    },

    bots() {
      return listBots(ctx.db).map((b) => {
        const user = world.user(b.userId);
        return {
          userId: b.userId,
          name: user ? [user.firstName, user.lastName].filter(Boolean).join(" ") : b.name,
          username: user?.username ?? null,
          createdAt: b.createdAt,
          queued: queuedCount(ctx.db, b.userId),
        };
      });
    },

    addToChat(botId, chatId, options) {
      if (!getBot(ctx.db, botId)) throw new BotApiError(404, "not.found", `No bot ${botId}`);
      const admin = options.admin === true;
      if (options.byUserId === undefined && typeof world.addBotToChat === "function") {
        world.addBotToChat(chatId, botId, admin);
        return;
      }
      // Added by the given member, or else by the chat's owner.
      let by = options.byUserId;
      if (by === undefined) {
        const chat = world.chatForAdmin(chatId);
        if (!chat) throw new BotApiError(404, "not.found", `No chat ${chatId}`);
        if (chat.type === "DIALOG")
          throw new BotApiError(400, "bad.request", "A bot cannot be added to a dialog");
        by = chat.ownerId;
      }
      const adder = by;
      ctx.db.transaction(() => {
        if (!world.member(chatId, botId)) world.addMembers(chatId, adder, [botId]);
        if (admin) world.setAdmin(chatId, adder, botId, true);
      })();
    },
  };
}
