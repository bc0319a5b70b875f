/**
 * MAX user-API client (`import { MaxClient } from "switchboard/max"`): a thin facade over the
 * engine (./engine.ts: socket, session, catch-up, events) and one file per area (auth, account,
 * contacts, chats, messages, media). Every call goes through the endpoint table
 * (protocol/rpc.ts): ValidationError before sending, lenient response parsing after.
 *
 * Lifecycle: `new MaxClient({url, credentials, account})` → `connect()` → `on()` / `events()` →
 * calls, each with `{signal, timeoutMs}` last → `close()`. A revoked session ends in an
 * AuthError on `error` and no reconnect loop.
 *
 * Longer than the ~500-line rule on purpose: it is the class's whole public surface, about 70
 * methods of one or two delegating lines each (the work is in the area files); splitting it
 * would split the class.
 */
import type { CallOptions, PlatformClient } from "../../core/call.js";
import type { EmittedEvent, EventsOptions, Listener } from "../../core/emitter.js";
import { ApiError } from "../../core/errors.js";
import type { ConnectionState } from "../../core/model.js";
import * as account from "./account.js";
import * as auth from "./auth.js";
import { noteOwnReaction } from "./catch-up.js";
import * as chats from "./chats.js";
import * as contacts from "./contacts.js";
import { MaxEngine } from "./engine.js";
import * as media from "./media.js";
import * as messages from "./messages.js";
import type {
  MaxClientOptions,
  MaxSendOptions,
  MediaKind,
  OutgoingMessage,
  QrInfo,
  QrLoginStep,
  SessionInfo,
  SignInResult,
  UploadOptions,
} from "./options.js";
import type { EditScheduledOptions, ScheduleOptions } from "./scheduled.js";
import * as scheduled from "./scheduled.js";
import type {
  MaxAttach,
  MaxChat,
  MaxElement,
  MaxEventMap,
  MaxEventName,
  MaxMessage,
  MaxProfile,
  MaxScheduledMessage,
  MaxUser,
} from "./types.js";
import { download, type HttpOptions, type UploadSource } from "./uploads.js";

/** What `events()` yields when no `types` are given (`raw` only on request). */
const DEFAULT_EVENT_TYPES: MaxEventName[] = [
  "message",
  "messageEdited",
  "messageDeleted",
  "reaction",
  "typing",
  "presence",
  "read",
  "chatUpdated",
  "uploadComplete",
  "scheduledFired",
  "scheduledEdited",
  "state",
  "error",
];

const text = (m: string | OutgoingMessage): OutgoingMessage => (typeof m === "string" ? { text: m } : m);

export class MaxClient implements PlatformClient<MaxEventMap> {
  readonly platform = "max" as const;
  readonly account: string;
  readonly url: string;
  private readonly e: MaxEngine;

  constructor(options: MaxClientOptions = {}) {
    this.e = new MaxEngine(options);
    this.account = this.e.account;
    this.url = this.e.url;
  }

  // ── connection ────────────────────────────────────────────────────────────

  /** Connection state of the socket. */
  get state(): ConnectionState {
    return this.e.transport.state;
  }

  /** True once a login succeeded on the current session (and until it is revoked). */
  get loggedIn(): boolean {
    return this.e.online;
  }

  /** Profile of the logged-in user (set after any successful login). */
  get profile(): MaxProfile | undefined {
    return this.e.profile;
  }

  /** Contacts from the last login-by-token answer. */
  get contacts(): MaxUser[] {
    return this.e.contacts;
  }

  /** The logged-in user's id. */
  get userId(): number | undefined {
    return this.e.profile?.contact.id;
  }

  /**
   * Opens the connection: hello, and login by token when a session is stored (or `token` was
   * given). Resolves with whether the client is logged in; rejects with AuthError when the
   * stored token is no longer valid.
   */
  connect(options: CallOptions = {}): Promise<{ loggedIn: boolean }> {
    return this.e.connect(options);
  }

  /** Closes the socket for good: pending requests fail, iterators end. Safe to call twice. */
  close(): Promise<void> {
    return this.e.close();
  }

  // ── events ────────────────────────────────────────────────────────────────

  /** Subscribes to one event type; returns the unsubscribe function. A throwing listener becomes a HandlerError on `error`. */
  on<K extends MaxEventName>(type: K, listener: Listener<MaxEventMap[K]>): () => void {
    return this.e.emitter.on(type, listener);
  }

  off<K extends MaxEventName>(type: K, listener: Listener<MaxEventMap[K]>): void {
    this.e.emitter.off(type, listener);
  }

  once<K extends MaxEventName>(type: K, listener: Listener<MaxEventMap[K]>): () => void {
    return this.e.emitter.once(type, listener);
  }

  /**
   * Every event (or those of `types`; `raw` only when asked for) as a bounded async iterator.
   * It ends when the client closes or the session is revoked; a consumer that falls
   * `bufferSize` events behind gets a TransportError instead of silent loss.
   */
  events<K extends MaxEventName = MaxEventName>(
    options: EventsOptions<K> = {},
  ): AsyncIterableIterator<EmittedEvent<MaxEventMap, K>> {
    return this.e.emitter.events({ ...options, types: options.types ?? (DEFAULT_EVENT_TYPES as K[]) });
  }

  // ── raw ───────────────────────────────────────────────────────────────────

  /**
   * Raw escape hatch: sends any opcode with any payload and resolves with the answer payload.
   * Errors: ApiError / AuthError / RateLimitError (server said no), TimeoutError,
   * TransportError (connection dropped while waiting), AbortError.
   */
  invoke<T = unknown>(opcode: number, payload: unknown = {}, options: CallOptions = {}): Promise<T> {
    // The engine's promise as is: an async wrapper here would add a hop per call.
    return this.e.invoke(opcode, payload, options) as Promise<T>;
  }

  // ── auth ──────────────────────────────────────────────────────────────────

  /** Step 1 of SMS login (17): the service texts a code to `phone`. */
  requestCode(phone: string, options: CallOptions & { resend?: boolean } = {}) {
    return auth.requestCode(this.e, phone, options);
  }
  /** Step 2 (18): the SMS code. With 2FA on, answers `{status:"password"}`: call checkPassword. */
  signIn(code: string, options: CallOptions = {}): Promise<SignInResult> {
    return auth.signIn(this.e, code, options);
  }
  /** Step 3 with 2FA (115 `{trackId, password}`). */
  checkPassword(password: string, options: CallOptions = {}): Promise<MaxProfile> {
    return auth.checkPassword(this.e, password, options);
  }
  /**
   * QR login (288 → poll 289 → 291). Yields the QR link to show, then the profile once a
   * logged-in device confirmed it. Throws ApiError `qr.expired` when nobody did in time.
   */
  qrLogin(options: CallOptions & { seedOpcode?: boolean } = {}): AsyncGenerator<QrLoginStep, void, void> {
    return auth.qrLogin(this.e, options);
  }
  /** QR login with a callback for the link; resolves with the profile. */
  async loginWithQr(onQr: (qr: QrInfo) => void, options: CallOptions = {}): Promise<MaxProfile> {
    for await (const step of this.qrLogin(options)) {
      if (step.type === "qr") onQr(step.qr);
      else return step.profile;
    }
    throw new ApiError("QR login ended without a login", {
      platform: "max",
      code: "qr.incomplete",
    });
  }
  /** Confirms another device's QR login from this logged-in one (290; the seed's 21 with `seedOpcode`). */
  async approveQr(qrLink: string, options: CallOptions & { seedOpcode?: boolean } = {}): Promise<void> {
    await this.e.call(options.seedOpcode ? "qrConfirm" : "qrApprove", { qrLink }, options);
  }
  /** Logs in with a saved token (19) and stores it for this account. */
  loginByToken(token: string, options: CallOptions = {}): Promise<MaxProfile> {
    return auth.loginByToken(this.e, token, options);
  }
  /** Ends this session on the server, forgets the token and closes the client. */
  logout(options: CallOptions = {}): Promise<void> {
    return auth.logout(this.e, options);
  }

  // ── account ───────────────────────────────────────────────────────────────

  async ping(options: CallOptions = {}): Promise<void> {
    await this.e.call("keepalive", { interactive: false }, options);
  }
  updateProfile(
    patch: { firstName?: string; lastName?: string; description?: string; photoToken?: string },
    options: CallOptions = {},
  ): Promise<MaxProfile> {
    return account.updateProfile(this.e, patch, options);
  }
  /** Privacy and chat settings (22): `{user:{HIDDEN:true}}`, `{chats:{"<id>":{dontDisturbUntil:-1}}}`. */
  settings(settings: Record<string, unknown>, options: CallOptions = {}): Promise<Record<string, unknown>> {
    return this.e.call("settings", { settings }, options);
  }
  getTwoFactor(options: CallOptions = {}): Promise<{ enabled: boolean; hint: string }> {
    return account.getTwoFactor(this.e, options);
  }
  setTwoFactor(
    password: string,
    options: CallOptions & { currentPassword?: string; hint?: string } = {},
  ): Promise<{ enabled: boolean; hint: string }> {
    return account.setTwoFactor(this.e, password, options);
  }
  /** 2FA as the apps show it (104): on or off, the hint and the recovery email (when set). */
  twoFactorDetails(
    options: CallOptions = {},
  ): Promise<{ enabled: boolean; hint: string; email?: string | undefined }> {
    return account.twoFactorDetails(this.e, options);
  }
  async removeTwoFactor(currentPassword: string, options: CallOptions = {}): Promise<void> {
    await this.e.call("twoFaManage", { action: "REMOVE", currentPassword }, options);
  }
  sessions(options: CallOptions = {}): Promise<SessionInfo[]> {
    return account.sessions(this.e, options);
  }
  async terminateSession(sessionId: number, options: CallOptions = {}): Promise<void> {
    await this.e.call("sessions", { action: "TERMINATE", sessionId }, options);
  }
  /** Sessions as PyMax lists them (96). */
  sessionsInfo(options: CallOptions = {}): Promise<SessionInfo[]> {
    return account.sessionsInfo(this.e, options);
  }
  /** Ends every other session and rotates this one's token (97); the new token is stored. */
  resetSessions(options: CallOptions = {}): Promise<void> {
    return account.resetSessions(this.e, options);
  }
  async terminateOtherSessions(options: CallOptions = {}): Promise<void> {
    await this.e.call("sessions", { action: "TERMINATE_OTHERS" }, options);
  }

  // ── contacts and presence ─────────────────────────────────────────────────

  /** Users by id (32). */
  getUsers(userIds: number[], options: CallOptions = {}): Promise<MaxUser[]> {
    return contacts.getUsers(this.e, userIds, options);
  }
  /** The contact list: from the login answer, refreshed through 32. */
  getContacts(options: CallOptions = {}): Promise<MaxUser[]> {
    return contacts.getContacts(this.e, options);
  }
  addContact(
    userId: number,
    names: { firstName?: string; lastName?: string } = {},
    options: CallOptions = {},
  ) {
    return contacts.contactAction(this.e, userId, "ADD", names, options);
  }
  removeContact(userId: number, options: CallOptions = {}) {
    return contacts.contactAction(this.e, userId, "REMOVE", {}, options);
  }
  renameContact(userId: number, names: { firstName: string; lastName?: string }, options: CallOptions = {}) {
    return contacts.contactAction(this.e, userId, "UPDATE", names, options);
  }
  blockContact(userId: number, options: CallOptions = {}) {
    return contacts.contactAction(this.e, userId, "BLOCK", {}, options);
  }
  unblockContact(userId: number, options: CallOptions = {}) {
    return contacts.contactAction(this.e, userId, "UNBLOCK", {}, options);
  }
  /** Subscribes to presence pushes of these users (35); answers their presence now. */
  subscribePresence(userIds: number[], options: CallOptions & { subscribe?: boolean } = {}) {
    return contacts.subscribePresence(this.e, userIds, options);
  }
  /** Own presence (36): ONLINE, or OFFLINE / HIDDEN to look offline. */
  async setPresence(status: "ONLINE" | "OFFLINE" | "HIDDEN", options: CallOptions = {}): Promise<void> {
    await this.e.call("setPresence", { status }, options);
  }

  // ── chats ─────────────────────────────────────────────────────────────────

  /** Chats by id (48). */
  getChats(chatIds: number[], options: CallOptions = {}): Promise<MaxChat[]> {
    return chats.getChats(this.e, chatIds, options);
  }
  async getChat(chatId: number, options: CallOptions = {}): Promise<MaxChat | undefined> {
    return (await this.getChats([chatId], options))[0];
  }
  /** One page of the chat list (53), newest first; pass the answer's `marker` for the next. */
  listChats(options: CallOptions & { marker?: number; count?: number } = {}) {
    return chats.listChats(this.e, options);
  }
  /** History (49) around `from` (default now): `backward` at or before it, `forward` after it, oldest first. */
  getHistory(
    chatId: number,
    options: CallOptions & { from?: number; backward?: number; forward?: number } = {},
  ): Promise<MaxMessage[]> {
    return chats.getHistory(this.e, chatId, options);
  }
  /** Marks the chat read up to `messageId` (50). */
  markRead(chatId: number, messageId: string, options: CallOptions & { mark?: number } = {}) {
    const payload: Record<string, unknown> = { type: "READ_MESSAGE", chatId, messageId };
    if (options.mark !== undefined) payload.mark = options.mark;
    return chats.readMark(this.e, payload, options);
  }
  markUnread(chatId: number, options: CallOptions = {}) {
    return chats.readMark(this.e, { type: "SET_AS_UNREAD", chatId }, options);
  }
  /** "Typing…" in a chat (51); `type` for uploads in progress (PHOTO, VIDEO, FILE…). */
  async setTyping(chatId: number, options: CallOptions & { type?: string } = {}): Promise<void> {
    const payload: Record<string, unknown> = { chatId };
    if (options.type) payload.type = options.type;
    await this.e.call("setTyping", payload, options);
  }
  /** Who is typing in a chat now (52). */
  getTyping(chatId: number, options: CallOptions = {}): Promise<number[]> {
    return chats.getTyping(this.e, chatId, options);
  }
  /** Title, description, options (55). */
  updateChat(
    chatId: number,
    patch: { title?: string; description?: string; options?: Record<string, boolean> },
    options: CallOptions = {},
  ): Promise<MaxChat | undefined> {
    const payload: Record<string, unknown> = { chatId };
    if (patch.title !== undefined) payload.theme = patch.title;
    if (patch.description !== undefined) payload.description = patch.description;
    if (patch.options !== undefined) payload.options = patch.options;
    return chats.chatSettings(this.e, payload, options);
  }
  pinMessage(chatId: number, messageId: string, options: CallOptions & { notify?: boolean } = {}) {
    return chats.chatSettings(
      this.e,
      { chatId, pinMessageId: messageId, notifyPin: options.notify ?? true },
      options,
    );
  }
  unpinMessage(chatId: number, options: CallOptions = {}) {
    return chats.chatSettings(this.e, { chatId, unpin: true }, options);
  }
  /** The chat's invite link (56); `revoke` makes a new one. */
  getInviteLink(chatId: number, options: CallOptions & { revoke?: boolean } = {}): Promise<string> {
    return chats.getInviteLink(this.e, chatId, options);
  }
  /** Joins a group or channel by link (57): `join/<hash>` or `https://max.ru/<name>`. */
  joinByLink(link: string, options: CallOptions = {}): Promise<MaxChat> {
    return chats.joinByLink(this.e, link, options);
  }
  /** What a link points at (89): a chat, a channel or a user. */
  resolveLink(link: string, options: CallOptions = {}) {
    return chats.resolveLink(this.e, link, options);
  }
  /** Leaves a group or channel (75, the seed's LEAVE_CHAT; PyMax's 58 with `pymaxOpcode`). */
  leaveChat(chatId: number, options: CallOptions & { pymaxOpcode?: boolean } = {}): Promise<void> {
    return chats.leaveChat(this.e, chatId, options);
  }
  /** Members (59), a page at a time: pass the answer's `marker` for the next. */
  getMembers(
    chatId: number,
    options: CallOptions & { marker?: number; count?: number; admins?: boolean } = {},
  ) {
    return chats.getMembers(this.e, chatId, options);
  }
  addMembers(chatId: number, userIds: number[], options: CallOptions & { showHistory?: boolean } = {}) {
    const payload = { chatId, userIds, operation: "add", showHistory: options.showHistory ?? true };
    return chats.manageMembers(this.e, payload, options);
  }
  removeMembers(chatId: number, userIds: number[], options: CallOptions & { cleanMsgPeriod?: number } = {}) {
    const payload: Record<string, unknown> = { chatId, userIds, operation: "remove" };
    if (options.cleanMsgPeriod !== undefined) payload.cleanMsgPeriod = options.cleanMsgPeriod;
    return chats.manageMembers(this.e, payload, options);
  }
  /** Makes users admins (77 `type:"ADMIN"`); `permissions` is MAX's bitmask. */
  makeAdmin(chatId: number, userIds: number[], options: CallOptions & { permissions?: number } = {}) {
    const payload = {
      chatId,
      userIds,
      operation: "add",
      type: "ADMIN",
      permissions: options.permissions ?? 255,
    };
    return chats.manageMembers(this.e, payload, options);
  }
  removeAdmin(chatId: number, userIds: number[], options: CallOptions = {}) {
    return chats.manageMembers(this.e, { chatId, userIds, operation: "remove", type: "ADMIN" }, options);
  }
  /** Creates a group with these members (64 with a CONTROL attach, as web clients do). */
  createGroup(title: string, userIds: number[], options: CallOptions = {}): Promise<MaxChat> {
    return chats.createChat(
      this.e,
      { _type: "CONTROL", event: "new", chatType: "CHAT", title, userIds },
      options,
    );
  }
  createChannel(title: string, options: CallOptions = {}): Promise<MaxChat> {
    return chats.createChat(this.e, { _type: "CONTROL", event: "new", chatType: "CHANNEL", title }, options);
  }
  /**
   * Clears the chat's history (54) up to `until` (ms, default now) for this account, or with
   * `forAll` for everyone (a dialog's other side; in a group or channel only its owner may).
   * The chat stays listed; sessions whose history went get `chatUpdated` (135).
   */
  clearHistory(
    chatId: number,
    options: CallOptions & { forAll?: boolean | undefined; until?: number | undefined } = {},
  ): Promise<void> {
    return chats.clearHistory(this.e, chatId, options);
  }
  /** Message search (90), across chats or in one. */
  search(
    query: string,
    options: CallOptions & { chatId?: number; count?: number } = {},
  ): Promise<MaxMessage[]> {
    return chats.search(this.e, query, options);
  }

  // ── messages ──────────────────────────────────────────────────────────────

  /**
   * Sends a message (64). Text over 4000 chars is a ValidationError unless splitting is on
   * (`split` / `splitLongText`), in which case the parts go out in order and the last is returned.
   */
  sendMessage(chatId: number, message: string | OutgoingMessage, options: MaxSendOptions = {}) {
    return messages.send(this.e, { chatId }, text(message), options);
  }
  /** Like sendMessage, but answers every message a long text became, in order. */
  sendMessageParts(chatId: number, message: string | OutgoingMessage, options: MaxSendOptions = {}) {
    return messages.sendParts(this.e, { chatId }, text(message), options);
  }
  /** Sends to a user by id; MAX opens the dialog if there is none. */
  sendToUser(userId: number, message: string | OutgoingMessage, options: MaxSendOptions = {}) {
    return messages.send(this.e, { userId }, text(message), options);
  }
  /** Forwards messages from one chat to another (64 with a FORWARD link). */
  forwardMessages(
    fromChatId: number,
    messageIds: string[],
    toChatId: number,
    options: MaxSendOptions & { text?: string } = {},
  ): Promise<MaxMessage> {
    const body = {
      text: options.text ?? "",
      link: { type: "FORWARD" as const, chatId: fromChatId, messageIds },
    };
    return messages.sendOne(this.e, { chatId: toChatId }, body, options);
  }
  /** Edits text (and optionally elements / attaches) of a message (67). */
  editMessage(
    chatId: number,
    messageId: string,
    text: string,
    options: CallOptions & { elements?: MaxElement[]; attaches?: MaxAttach[] } = {},
  ): Promise<MaxMessage> {
    return messages.editMessage(this.e, chatId, messageId, text, options);
  }
  /** Deletes messages (66), for everyone unless `forMe`. */
  async deleteMessages(
    chatId: number,
    messageIds: string[],
    options: CallOptions & { forMe?: boolean } = {},
  ): Promise<void> {
    await this.e.call("deleteMessage", { chatId, messageIds, forMe: options.forMe ?? false }, options);
    // Not pushed back to us: remembered, so a catch-up does not report our own deletes.
    this.e.tracker.noteRemoved(chatId, messageIds);
  }
  deleteMessage(chatId: number, messageId: string, options: CallOptions & { forMe?: boolean } = {}) {
    return this.deleteMessages(chatId, [messageId], options);
  }
  /**
   * Schedules a message (64 with `delayedAttributes`): held by the server until `at`, then sent
   * as a new message (`message` event, and `scheduledFired` naming the held id). Answers the held
   * message; its id is what editScheduled / cancelScheduled take. A past `at` sends it at the
   * server's next check; more than a year ahead is refused (ApiError).
   */
  scheduleMessage(
    chatId: number,
    message: string | OutgoingMessage,
    at: Date | number,
    options: ScheduleOptions = {},
  ): Promise<MaxScheduledMessage> {
    return scheduled.scheduleMessage(this.e, chatId, text(message), at, options);
  }
  /** This account's scheduled messages in a chat (49 DELAYED), soonest first. */
  scheduledMessages(chatId: number, options: CallOptions = {}): Promise<MaxScheduledMessage[]> {
    return scheduled.scheduledMessages(this.e, chatId, options);
  }
  /** New text and, with `at`, a new time for a scheduled message (67); ApiError when it is not one. */
  editScheduled(
    chatId: number,
    messageId: string,
    text: string,
    options: EditScheduledOptions = {},
  ): Promise<MaxScheduledMessage> {
    return scheduled.editScheduled(this.e, chatId, messageId, text, options);
  }
  /** Cancels scheduled messages (66 DELAYED); answers the ids cancelled. */
  cancelScheduled(chatId: number, messageIds: string[], options: CallOptions = {}): Promise<string[]> {
    return scheduled.cancelScheduled(this.e, chatId, messageIds, options);
  }
  /** Messages by id (71). */
  getMessages(chatId: number, messageIds: string[], options: CallOptions = {}): Promise<MaxMessage[]> {
    return messages.getMessages(this.e, chatId, messageIds, options);
  }
  /** Sets this account's reaction (178). */
  async react(chatId: number, messageId: string, emoji: string, options: CallOptions = {}) {
    const reaction = { reactionType: "EMOJI", id: emoji };
    const info = (await this.e.call("reaction", { chatId, messageId, reaction }, options)).reactionInfo;
    noteOwnReaction(this.e.tracker, chatId, messageId, info);
    return info;
  }
  /** Removes this account's reaction (179). */
  async unreact(chatId: number, messageId: string, options: CallOptions = {}) {
    const info = (await this.e.call("reactionRemove", { chatId, messageId }, options)).reactionInfo;
    noteOwnReaction(this.e.tracker, chatId, messageId, info);
    return info;
  }
  /** Reaction counters of several messages (180): message id → info. */
  getReactions(chatId: number, messageIds: string[], options: CallOptions = {}) {
    return messages.getReactions(this.e, chatId, messageIds, options);
  }
  /** Who reacted how to one message (181). */
  getReactionDetails(chatId: number, messageId: string, options: CallOptions & { count?: number } = {}) {
    const payload: Record<string, unknown> = { chatId, messageId };
    if (options.count !== undefined) payload.count = options.count;
    return this.e.call("getReactionsDetail", payload, options);
  }

  // ── media ─────────────────────────────────────────────────────────────────

  /** Uploads a photo, video, voice note or file and returns the attach to send. */
  uploadAttach(
    kind: MediaKind,
    source: string | UploadSource,
    options: UploadOptions = {},
  ): Promise<MaxAttach> {
    return media.uploadAttach(this.e, kind, source, options);
  }
  /** Tells the chat an upload is starting (65, the seed's UPLOAD_START). */
  async notifyUpload(chatId: number, kind: MediaKind, options: CallOptions = {}): Promise<void> {
    await this.e.call("uploadStart", { chatId, type: media.UPLOAD_TYPE[kind] }, options);
  }
  /** Raw upload slots (80 / 82 / 84 / 87): `{url, …ids, token}` per slot. Most callers want uploadAttach. */
  getUploadSlots(kind: MediaKind, count = 1, options: CallOptions = {}): Promise<Record<string, unknown>[]> {
    return media.getUploadSlots(this.e, kind, count, options);
  }
  /** Uploads and sends in one go: 65 notice, upload, then 64 with the attach (and a caption). */
  async sendMedia(
    chatId: number,
    kind: MediaKind,
    source: string | UploadSource,
    options: UploadOptions & MaxSendOptions & { caption?: string } = {},
  ): Promise<MaxMessage> {
    await this.notifyUpload(chatId, kind, options);
    const attach = await this.uploadAttach(kind, source, options);
    return this.sendMessage(chatId, { text: options.caption ?? "", attaches: [attach] }, options);
  }
  /** A download URL for a received attach (83 video, 85 voice, 88 file; photos carry theirs). */
  getDownloadUrl(
    attach: MaxAttach,
    where: { chatId: number; messageId: string },
    options: CallOptions = {},
  ): Promise<string> {
    return media.getDownloadUrl(this.e, attach, where, options);
  }
  /** Downloads a URL to `destination` (mode 0600) or into memory. */
  download(
    url: string,
    destination?: string,
    options: HttpOptions = {},
  ): Promise<{ bytes: number; data?: Buffer }> {
    return download(url, destination, options);
  }
}

export type {
  MaxCallOptions,
  MaxClientOptions,
  MaxSendOptions,
  MediaKind,
  OutgoingMessage,
  QrInfo,
  QrLoginStep,
  SessionInfo,
  SignInResult,
  UploadOptions,
} from "./options.js";
export type { EditScheduledOptions, ScheduleOptions };
