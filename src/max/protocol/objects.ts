/**
 * MAX wire objects: attachments, formatting elements, links, and what the server sends back
 * (users, chats, messages, event payloads). Server objects are lenient: unknown fields are kept
 * under `extra`. What a client sends (attaches, elements, links, the user agent) is loose instead:
 * the emulator stores and echoes a client's attach with the fields it came with.
 */
import { z } from "zod";
import { lenient } from "../../core/extra.js";

// ── shared objects ──────────────────────────────────────────────────────────

export const UserAgent = z.looseObject({
  deviceType: z.string().optional(),
  locale: z.string().optional(),
  deviceLocale: z.string().optional(),
  osVersion: z.string().optional(),
  deviceName: z.string().optional(),
  headerUserAgent: z.string().optional(),
  appVersion: z.string().optional(),
  screen: z.string().optional(),
  timezone: z.string().optional(),
});

const Id = z.union([z.number().int(), z.string().regex(/^-?\d+$/)]);
/** Ids travel as numbers or digit strings; both mean the same id. */
export const NumericId = Id.transform((v) => Number(v));
/** Message ids travel as strings (they exceed 2^53 on the real service); numbers are accepted. */
export const MessageId = Id.transform((v) => String(v));

export const AttachType = {
  PHOTO: "PHOTO",
  VIDEO: "VIDEO",
  FILE: "FILE",
  VOICE: "VOICE",
  AUDIO: "AUDIO",
  STICKER: "STICKER",
  LOCATION: "LOCATION",
  CONTACT: "CONTACT",
  POLL: "POLL",
  CONTROL: "CONTROL",
} as const;

export const PhotoAttach = z.looseObject({ _type: z.literal("PHOTO"), photoToken: z.string().min(1) });
export const VideoAttach = z.looseObject({
  _type: z.literal("VIDEO"),
  videoId: NumericId,
  token: z.string().optional(),
});
export const FileAttach = z.looseObject({ _type: z.literal("FILE"), fileId: NumericId });
export const VoiceAttach = z.looseObject({
  _type: z.union([z.literal("VOICE"), z.literal("AUDIO")]),
  voiceId: NumericId.optional(),
  audioId: NumericId.optional(),
  token: z.string().optional(),
  duration: z.number().nonnegative().optional(),
});
export const StickerAttach = z.looseObject({ _type: z.literal("STICKER"), stickerId: NumericId });
export const LocationAttach = z.looseObject({
  _type: z.literal("LOCATION"),
  lat: z.number().min(-90).max(90),
  lon: z.number().min(-180).max(180),
});
export const ContactAttach = z.looseObject({
  _type: z.literal("CONTACT"),
  contactId: NumericId,
  name: z.string().optional(),
  phone: z.string().optional(),
});
const PollQuestion = z.string().min(1).max(300);
const PollOptions = z
  .array(z.looseObject({ text: z.string().min(1).max(100) }))
  .min(2)
  .max(12);
/**
 * PyMax's poll settings bits (types/domain/attachments/enums.py PollFlags): ANONYMOUS 1,
 * MULTISELECT 2, REVOTE 4, CLOSED 8, QUIZ 16, CAN_FORWARD 32.
 */
export const PollFlag = {
  ANONYMOUS: 1,
  MULTISELECT: 2,
  REVOTE: 4,
  CLOSED: 8,
  QUIZ: 16,
  CAN_FORWARD: 32,
} as const;
/** The seed's poll `{question, options[{text}], anonymous?, multipleChoice?}`. */
const SeedPollAttach = z.looseObject({
  _type: z.literal("POLL"),
  question: PollQuestion,
  options: PollOptions,
  anonymous: z.boolean().optional(),
  multipleChoice: z.boolean().optional(),
});
/**
 * PyMax's Poll `{title, answers[{text}], settings}`: stored with the seed's fields beside its own,
 * and with the version and empty vote state PyMax's PollAttachment requires when it reads it back.
 */
const PyMaxPollAttach = z
  .looseObject({
    _type: z.literal("POLL"),
    title: PollQuestion,
    answers: z
      .array(z.looseObject({ text: z.string().min(1).max(100), answerId: z.number().int().nullish() }))
      .min(2)
      .max(12),
    settings: z.number().int().min(0).max(63).default(0),
  })
  .transform((p) => ({
    ...p,
    question: p.title,
    options: p.answers.map((a) => ({ text: a.text })),
    anonymous: (p.settings & PollFlag.ANONYMOUS) !== 0,
    multipleChoice: (p.settings & PollFlag.MULTISELECT) !== 0,
    version: 1,
    state: { total: 0, result: [] as unknown[], voterPreviewIds: [] as number[] },
  }));
export const PollAttach = z.union([SeedPollAttach, PyMaxPollAttach]);
export const ControlAttach = z.looseObject({
  _type: z.literal("CONTROL"),
  event: z.string(),
  chatType: z.enum(["CHAT", "CHANNEL"]).optional(),
  title: z.string().max(200).optional(),
  userIds: z.array(NumericId).optional(),
});
/** Attach shapes as our client sends them (the seed's poll; the server also takes PyMax's, PollAttach). */
export const Attach = z.discriminatedUnion("_type", [
  PhotoAttach,
  VideoAttach,
  FileAttach,
  VoiceAttach,
  StickerAttach,
  LocationAttach,
  ContactAttach,
  SeedPollAttach,
  ControlAttach,
]);
export type Attach = z.infer<typeof Attach>;

/** Formatting element: a styled range of the text (STRONG, EMPHASIZED, LINK, USER_MENTION …). */
export const Element = z.looseObject({
  type: z.string(),
  from: z.number().int().nonnegative().optional(),
  length: z.number().int().nonnegative().optional(),
  attributes: z.record(z.string(), z.unknown()).optional(),
  entityId: NumericId.optional(),
});
export type Element = z.infer<typeof Element>;

export const MessageLink = z.discriminatedUnion("type", [
  z.looseObject({ type: z.literal("REPLY"), messageId: MessageId, chatId: NumericId.optional() }),
  z.looseObject({
    type: z.literal("FORWARD"),
    chatId: NumericId,
    messageId: MessageId.optional(),
    messageIds: z.array(MessageId).min(1).max(100).optional(),
  }),
]);
export type MessageLink = z.infer<typeof MessageLink>;

// ── server objects (responses and events) ───────────────────────────────────

export const Name = lenient({
  name: z.string(),
  firstName: z.string().optional(),
  lastName: z.string().optional(),
  type: z.string(),
});

export const Contact = lenient({
  id: z.number(),
  names: z.array(Name),
  phone: z.number().optional(),
  description: z.string().optional(),
  baseUrl: z.string().optional(),
  photoId: z.number().optional(),
  updateTime: z.number(),
  accountStatus: z.number().optional(),
  options: z.array(z.string()).optional(),
  /** The public profile link (`https://max.ru/<name>`), when the user has one. */
  link: z.string().optional(),
  /** The viewer's relation when it is not a plain contact: `BLOCKED`, `REMOVED`. */
  status: z.string().optional(),
});
export type Contact = z.infer<typeof Contact>;

export const Profile = lenient({ contact: Contact });
export type Profile = z.infer<typeof Profile>;

export const ServerMessage = lenient({
  id: z.string(),
  time: z.number(),
  sender: z.number(),
  text: z.string(),
  type: z.string(),
  cid: z.number().optional(),
  elements: z.array(z.unknown()).optional(),
  attaches: z.array(lenient({ _type: z.string() })),
  link: lenient({ type: z.string() }).optional(),
  status: z.enum(["EDITED", "REMOVED"]).optional(),
  updateTime: z.number().optional(),
  reactionInfo: z.unknown().optional(),
  stats: z.unknown().optional(),
});
export type ServerMessage = z.infer<typeof ServerMessage>;

export const ChatType = z.enum(["DIALOG", "CHAT", "CHANNEL"]);
export const ServerChat = lenient({
  id: z.number(),
  type: ChatType,
  status: z.string(),
  owner: z.number(),
  participants: z.record(z.string(), z.number()),
  created: z.number(),
  modified: z.number(),
  lastEventTime: z.number(),
  lastMessage: ServerMessage.optional(),
  title: z.string().optional(),
  description: z.string().optional(),
  participantsCount: z.number().optional(),
  admins: z.array(z.number()).optional(),
  link: z.string().optional(),
  pinnedMessage: ServerMessage.optional(),
  cid: z.number().optional(),
});
export type ServerChat = z.infer<typeof ServerChat>;

/** Event payloads. */
export const NewMessageEvent = lenient({
  chatId: z.number(),
  message: ServerMessage,
  ttl: z.boolean().optional(),
  unread: z.number().optional(),
  mark: z.number().optional(),
});
export const PresenceEvent = lenient({
  userId: z.number(),
  presence: lenient({ seen: z.number().optional(), on: z.string().optional() }),
  time: z.number().optional(),
});
export const TypingEvent = lenient({
  chatId: z.number(),
  userId: z.number(),
  type: z.string().optional(),
});
export const MarkEvent = lenient({
  setAsUnread: z.boolean(),
  chatId: z.number(),
  userId: z.number(),
  mark: z.number(),
});
export const ChatUpdatedEvent = lenient({ chat: ServerChat });
export const UploadCompleteEvent = lenient({
  fileId: z.number().optional(),
  videoId: z.number().optional(),
  voiceId: z.number().optional(),
  token: z.string().optional(),
});
export const ReactionsChangedEvent = lenient({
  chatId: z.number(),
  messageId: z.string(),
  counters: z.array(lenient({ reaction: z.string(), count: z.number() })),
  totalCount: z.number(),
  yourReaction: z.string().optional(),
});
