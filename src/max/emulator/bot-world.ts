/**
 * The MAX side of the world the MAX Bot API emulator shares (its shape: MaxBotWorld in
 * src/maxbot/emulator/world.ts, matched structurally). Bots are MAX users flagged `is_bot`; every
 * change a bot makes runs through the same code the user API's handlers use (message-ops.ts,
 * chat-ops.ts), so MAX clients get their ordinary pushes, and the world's listeners are called
 * inside the transaction of each change (world-events.ts).
 */
import { z } from "zod";
import { Element } from "../protocol/objects.js";
import { type BotStoredFile, storeBotFile } from "./bot-files.js";
import { BotWorldChats } from "./bot-world-chats.js";
import { BotWorldError, type BotWorldUser, worldCall, worldUser } from "./bot-world-views.js";
import type { MaxEmulator } from "./context.js";
import { USER_ID_START } from "./handlers/auth.js";
import { notifyCallback, pressButton, startBot } from "./handlers/bots.js";
import {
  type NewMessage,
  PUBLIC_NAME,
  pushMessage,
  requireMember,
  storeMessage,
  storeMessageBatched,
  viewerOf,
} from "./handlers/chats.js";
import { deleteMessages, editMessage, prepareSend } from "./handlers/message-ops.js";
import { type BotWorldEvent, type BotWorldMessage, worldMessage } from "./world-events.js";

export { BotWorldError } from "./bot-world-views.js";

export interface BotWorldSend {
  text: string;
  elements?: unknown[];
  attaches?: Record<string, unknown>[];
  link?: { type: "REPLY" | "FORWARD"; chatId: number; messageId: number };
  notify?: boolean;
}

const Elements = z.array(Element).max(1000);

function attachesOf(
  given: Record<string, unknown>[] | undefined,
): ({ _type: string } & Record<string, unknown>)[] {
  const list = given ?? [];
  for (const a of list) {
    if (typeof a !== "object" || a === null || typeof a._type !== "string") {
      throw new BotWorldError("bad.request", "every attach needs a string `_type`");
    }
  }
  return list as ({ _type: string } & Record<string, unknown>)[];
}

function elementsOf(given: unknown[] | undefined): unknown[] {
  if (given === undefined) return [];
  const parsed = Elements.safeParse(given);
  if (!parsed.success) throw new BotWorldError("bad.request", "invalid markup elements");
  return parsed.data;
}

/** The bots' world of one MAX emulator. */
export class MaxBotWorldImpl extends BotWorldChats {
  constructor(emu: MaxEmulator) {
    super(emu);
  }

  // ── users ─────────────────────────────────────────────────────────────────

  createBot(input: { name: string; username?: string; description?: string }): { userId: number } {
    const { emu } = this;
    const name = input.name.trim();
    if (name === "" || name.length > 64)
      throw new BotWorldError("bad.request", "a bot name has 1 to 64 characters");
    const username = this.freeUsername(input.username ?? null, undefined);
    const description = (input.description ?? "").slice(0, 400);
    const row = emu.db.transaction(() => {
      const id = emu.ids.next("user", USER_ID_START);
      return emu.repos.users.createBot({ id, name, username, description }, emu.now());
    })();
    return { userId: row.id };
  }

  user(userId: number): BotWorldUser | undefined {
    const row = this.emu.repos.users.byId(userId);
    return row ? worldUser(this.emu, row) : undefined;
  }

  editBotProfile(
    userId: number,
    patch: { name?: string; description?: string | null; username?: string | null },
  ): BotWorldUser {
    const { emu } = this;
    const row = emu.repos.users.byId(userId);
    if (row?.is_bot !== 1) throw new BotWorldError("not.found", "no such bot");
    const name = patch.name === undefined ? row.first_name : patch.name.trim();
    if (name === "" || name.length > 64)
      throw new BotWorldError("bad.request", "a bot name has 1 to 64 characters");
    const username = patch.username === undefined ? row.link : this.freeUsername(patch.username, userId);
    const description =
      patch.description === undefined ? row.description : (patch.description ?? "").slice(0, 400);
    emu.repos.users.updateBot(userId, { name, description, username }, emu.now());
    return worldUser(emu, emu.repos.users.byId(userId)!);
  }

  private freeUsername(username: string | null, ownerId: number | undefined): string | null {
    if (username === null || username === "") return null;
    if (!PUBLIC_NAME.test(username)) {
      throw new BotWorldError("bad.request", "a username has 3 to 64 letters, digits or underscores");
    }
    const holder = this.emu.repos.users.byLink(username) ?? this.emu.repos.chats.byLink(username);
    if (holder && holder.id !== ownerId) throw new BotWorldError("conflict", "this username is taken");
    return username;
  }

  // ── messages ──────────────────────────────────────────────────────────────

  /** Every check of a send (a 64's), and the message to store. */
  private prepare(chatId: number, byUserId: number, message: BotWorldSend): NewMessage {
    this.requireMembership(chatId, byUserId);
    const link = message.link
      ? { type: message.link.type, chatId: message.link.chatId, messageId: String(message.link.messageId) }
      : null;
    return prepareSend(this.emu, byUserId, chatId, undefined, {
      text: message.text,
      elements: elementsOf(message.elements),
      attaches: attachesOf(message.attaches),
      link,
    }).input;
  }

  send(chatId: number, byUserId: number, message: BotWorldSend): BotWorldMessage {
    return worldCall(() => {
      const { emu } = this;
      const wire = storeMessage(emu, chatId, byUserId, this.prepare(chatId, byUserId, message));
      pushMessage(emu, chatId, wire, undefined);
      return worldMessage(emu.repos.messages.inChat(chatId, Number(wire.id))!);
    });
  }

  /**
   * Like send, but group-committed with every message stored in the same event-loop turn (users'
   * 64s included): one fsync for many concurrent sends. Resolves once committed and pushed.
   */
  async sendAsync(chatId: number, byUserId: number, message: BotWorldSend): Promise<BotWorldMessage> {
    const { emu } = this;
    const input = worldCall(() => this.prepare(chatId, byUserId, message));
    const wire = await storeMessageBatched(emu, chatId, byUserId, input);
    pushMessage(emu, chatId, wire, undefined);
    return worldMessage(emu.repos.messages.inChat(chatId, Number(wire.id))!);
  }

  edit(chatId: number, byUserId: number, messageId: number, message: BotWorldSend): BotWorldMessage {
    return worldCall(() => {
      const { emu } = this;
      this.requireMembership(chatId, byUserId);
      editMessage(
        emu,
        byUserId,
        chatId,
        String(messageId),
        {
          text: message.text,
          elements: elementsOf(message.elements),
          ...(message.attaches !== undefined ? { attaches: attachesOf(message.attaches) } : {}),
        },
        undefined,
      );
      return worldMessage(emu.repos.messages.inChat(chatId, messageId)!);
    });
  }

  remove(chatId: number, byUserId: number, messageId: number): void {
    worldCall(() => {
      this.requireMembership(chatId, byUserId);
      deleteMessages(this.emu, byUserId, chatId, [String(messageId)], false, undefined);
    });
  }

  message(chatId: number, messageId: number, viewerId: number): BotWorldMessage | undefined {
    const member = this.emu.repos.chats.member(chatId, viewerId);
    if (!member) return undefined;
    const row = this.emu.repos.messages.visible(chatId, messageId, viewerOf(member));
    return row ? worldMessage(row) : undefined;
  }

  history(
    chatId: number,
    viewerId: number,
    opts: { from?: number; to?: number; count: number },
  ): BotWorldMessage[] {
    const { emu } = this;
    this.requireMembership(chatId, viewerId);
    const m = requireMember(emu, chatId, viewerId);
    const a = opts.from ?? Number.MAX_SAFE_INTEGER;
    const b = opts.to ?? 0;
    const hi = Math.max(a, b);
    const lo = Math.min(a, b);
    const rows = emu.repos.messages.history(chatId, viewerOf(m.member), hi, Math.max(0, opts.count), 0);
    return rows
      .filter((r) => r.time >= lo)
      .reverse()
      .map(worldMessage);
  }

  notifyCallback(userId: number, callbackId: string, text: string): void {
    notifyCallback(this.emu, userId, callbackId, text);
  }

  // ── bots in the user API (admin routes and tests drive these) ─────────────

  /** A user presses a callback button of a message's inline keyboard. */
  press(
    userId: number,
    chatId: number,
    messageId: number,
    payload: string | undefined,
  ): { callbackId: string } {
    return worldCall(() => ({
      callbackId: pressButton(this.emu, userId, { chatId, messageId }, payload).callbackId,
    }));
  }

  /** A user starts a bot (its dialog opened, `payload` from a deep link). */
  start(userId: number, botId: number, payload: string | null): { chatId: number } {
    const { emu } = this;
    if (!emu.repos.users.isBot(botId)) throw new BotWorldError("not.found", "no such bot");
    if (!emu.repos.users.byId(userId) || emu.repos.users.isBot(userId))
      throw new BotWorldError("not.found", "no such user");
    const chat = this.dialog(botId, userId);
    startBot(emu, botId, userId, chat.chatId, payload);
    return { chatId: chat.chatId };
  }

  // ── files and events ──────────────────────────────────────────────────────

  storeFile(
    ownerId: number,
    kind: "image" | "video" | "audio" | "file",
    name: string,
    bytes: Buffer,
  ): BotStoredFile {
    return storeBotFile(this.emu, ownerId, kind, name, bytes);
  }

  subscribe(listener: (event: BotWorldEvent) => void): () => void {
    return this.emu.events.subscribe(listener);
  }
}
