import { ErrorCode } from "../protocol.js";
import type { MaxEmulator } from "./context.js";
import { confirmQr, createUser, pendingQr } from "./handlers/auth.js";
import { startOnFirstMessage } from "./handlers/bots.js";
import { createGroupChat, openDialog, pushChat, pushMessage, storeMessage } from "./handlers/chats.js";
import { normalizePhone } from "./store/users.js";

export class AdminError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/**
 * What the sandbox (admin API, console, tests) may do to the MAX emulator beyond the wire
 * protocol: create accounts, read SMS codes, confirm QR logins, inject faults.
 */
export class MaxAdmin {
  constructor(private readonly emu: MaxEmulator) {}

  createUser(input: { phone: string; firstName: string; lastName?: string; password?: string }): {
    userId: number;
  } {
    const phone = normalizePhone(input.phone);
    if (!phone) throw new AdminError(400, "phone must be an international number such as +79001234567");
    if (!input.firstName?.trim()) throw new AdminError(400, "firstName is required");
    if (this.emu.repos.users.byPhone(phone))
      throw new AdminError(409, `a user with phone ${phone} already exists`);
    const user = createUser(this.emu, { ...input, phone });
    return { userId: user.id };
  }

  lastSms(phoneInput: string): { phone: string; code: string } | undefined {
    const phone = normalizePhone(phoneInput);
    if (!phone) throw new AdminError(400, "phone must be an international number such as +79001234567");
    const row = this.emu.repos.users.lastSms(phone);
    return row ? { phone: row.phone, code: row.code } : undefined;
  }

  pendingQr(): { trackId: string; qrLink: string; expiresAt: number }[] {
    return pendingQr(this.emu).map(({ trackId, qrLink, expiresAt }) => ({ trackId, qrLink, expiresAt }));
  }

  confirmQr(trackIdOrLink: string, userId: number): void {
    if (!this.emu.repos.users.byId(userId)) throw new AdminError(404, `no MAX user ${userId}`);
    if (this.emu.repos.users.isBot(userId))
      throw new AdminError(400, `user ${userId} is a bot; bots cannot log in`);
    try {
      confirmQr(this.emu, trackIdOrLink, userId);
    } catch {
      throw new AdminError(404, "no pending QR login with that trackId (expired or already used)");
    }
  }

  /**
   * Creates a group or channel owned by `ownerId` with the given members, and tells every member
   * (135), as if the owner had sent the CONTROL attach.
   */
  createChat(input: { ownerId: number; type: "CHAT" | "CHANNEL"; title: string; memberIds?: number[] }): {
    chatId: number;
  } {
    const users = this.emu.repos.users;
    if (!users.byId(input.ownerId)) throw new AdminError(404, `no MAX user ${input.ownerId}`);
    for (const id of input.memberIds ?? [])
      if (!users.byId(id)) throw new AdminError(404, `no MAX user ${id}`);
    const emu = this.emu;
    const chat = emu.db.transaction(() => {
      const created = createGroupChat(emu, input.ownerId, {
        type: input.type,
        title: input.title,
        userIds: input.memberIds ?? [],
      });
      // Bots among the members hear they were added (Bot API bot_added), as with a CONTROL `new`.
      const added = emu.repos.chats.memberIds(created.id).filter((id) => id !== input.ownerId);
      if (emu.events.active && added.length > 0) {
        emu.events.emit({
          type: "members.added",
          chatId: created.id,
          userIds: [...added],
          byUserId: input.ownerId,
          viaLink: false,
        });
      }
      return created;
    })();
    pushChat(emu, chat.id, undefined);
    return { chatId: chat.id };
  }

  /**
   * Sends a text message as `fromUserId` into a chat they belong to, or into their dialog with
   * `toUserId`: stored, then pushed (128) to every session of every member, the sender's too.
   */
  sendMessage(input: { fromUserId: number; chatId?: number; toUserId?: number; text: string }): {
    chatId: number;
    messageId: string;
  } {
    const { users, chats } = this.emu.repos;
    if (!users.byId(input.fromUserId)) throw new AdminError(404, `no MAX user ${input.fromUserId}`);
    if (!input.text.trim()) throw new AdminError(400, "text must not be empty");
    let chatId: number;
    if (input.chatId !== undefined) {
      if (!chats.byId(input.chatId)) throw new AdminError(404, `no MAX chat ${input.chatId}`);
      if (!chats.roleOf(input.chatId, input.fromUserId)) {
        throw new AdminError(403, `user ${input.fromUserId} is not a member of chat ${input.chatId}`);
      }
      chatId = input.chatId;
    } else if (input.toUserId !== undefined) {
      if (!users.byId(input.toUserId) || input.toUserId === input.fromUserId) {
        throw new AdminError(404, `no other MAX user ${input.toUserId}`);
      }
      chatId = openDialog(this.emu, input.fromUserId, input.toUserId).id;
    } else {
      throw new AdminError(400, "chatId or toUserId is required");
    }
    // As over the user API: a user's first message into a bot's dialog starts the bot.
    const peer =
      chats.kindOf(chatId) === "DIALOG"
        ? chats.memberIds(chatId).find((id) => id !== input.fromUserId)
        : undefined;
    if (peer !== undefined && users.isBot(peer)) {
      startOnFirstMessage(this.emu, peer, input.fromUserId, chatId, input.text);
    }
    const message = storeMessage(this.emu, chatId, input.fromUserId, {
      text: input.text,
      elements: [],
      attaches: [],
    });
    pushMessage(this.emu, chatId, message, undefined);
    return { chatId, messageId: message.id };
  }

  /** Drops connections abruptly (no close frame), like a network cut. Returns how many. */
  drop(target: { userId?: number } = {}): number {
    let n = 0;
    for (const conn of [...this.emu.hub.connections()]) {
      if (target.userId !== undefined && conn.userId !== target.userId) continue;
      conn.terminate();
      n++;
    }
    return n;
  }

  failNext(
    count: number,
    target: { userId?: number; error?: string; message?: string; opcode?: number } = {},
  ): void {
    this.emu.faults.failNext(count, { error: target.error ?? ErrorCode.SERVICE, ...target });
  }

  delay(ms: number, durationMs: number, target: { userId?: number } = {}): void {
    this.emu.faults.delay(ms, durationMs, target);
  }

  /** For `durationMs`, each user may make `limit` requests per `windowMs`; the rest answer error.rate_limited. */
  rateLimit(limit: number, windowMs: number, durationMs: number, target: { userId?: number } = {}): void {
    this.emu.faults.rateLimit(limit, windowMs, durationMs, target);
  }

  clearFaults(): void {
    this.emu.faults.clear();
  }

  stats(): { connections: number; online: number; faults: { fails: number; delays: number } } {
    let online = 0;
    for (const c of this.emu.hub.connections()) if (c.state === "online") online++;
    return { connections: this.emu.hub.size, online, faults: this.emu.faults.snapshot() };
  }
}
