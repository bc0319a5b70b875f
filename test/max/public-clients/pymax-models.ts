/**
 * What PyMax (MaxApiTeam/PyMax) requires of the payloads it parses, as zod schemas: required
 * fields and their types from its pydantic models (src/pymax/types/domain/{message,chat}.py,
 * the auth/upload response models its tests build, tests/conftest.py fixtures). Pydantic runs in
 * lax mode, so an `int` field also takes a digit string (message ids arrive as strings).
 */
import { z } from "zod";

const int = z.number().int();
/** pydantic lax `int`: a number or a string of digits. */
const intLike = z.union([int, z.string().regex(/^-?\d+$/)]);

export const User = z.looseObject({
  id: int,
  names: z.array(z.looseObject({ name: z.string(), type: z.string() })),
});
export const Profile = z.looseObject({ contact: User, profileOptions: z.array(int).nullish() });

export const ReactionInfo = z.looseObject({
  totalCount: int.optional(),
  counters: z.array(z.looseObject({ count: int, reaction: z.string() })).optional(),
  yourReaction: z.string().nullish(),
});

export const Message = z.looseObject({
  id: intLike,
  chatId: int.nullish(),
  sender: int.nullish(),
  text: z.string().optional(),
  time: int,
  type: z.string(),
  cid: int.nullish(),
  attaches: z.array(z.looseObject({ _type: z.string() })).optional(),
  stats: z.record(z.string(), z.unknown()).nullish(),
  status: z.enum(["EDITED", "REMOVED"]).nullish(),
  reactionInfo: ReactionInfo.nullish(),
  options: z.union([int, z.record(z.string(), z.unknown())]).nullish(),
  prevMessageId: z.union([int, z.string()]).nullish(),
  ttl: z.boolean().nullish(),
  unread: int.nullish(),
  mark: int.nullish(),
  elements: z.array(z.looseObject({ type: z.string() })).optional(),
});

/** `Message._unwrap_message_event`: a dict `message` is lifted and the wrapper's fields merged in. */
// biome-ignore lint/suspicious/noExplicitAny: mirrors a validator over arbitrary input
export function unwrapMessage(value: any): unknown {
  if (!value || typeof value !== "object" || !value.message || typeof value.message !== "object")
    return value;
  return {
    ...value.message,
    chatId: value.chatId ?? null,
    prevMessageId: value.prevMessageId ?? null,
    ttl: value.ttl ?? null,
    unread: value.unread ?? null,
    mark: value.mark ?? null,
  };
}

export const Chat = z.looseObject({
  id: int,
  type: z.string(),
  status: z.string(),
  owner: int,
  participants: z.record(z.string().regex(/^-?\d+$/), int).optional(),
  title: z.string().nullish(),
  baseRawIconUrl: z.string().nullish(),
  baseIconUrl: z.string().nullish(),
  lastMessage: Message.nullish(),
  lastEventTime: int.optional(),
  created: int.optional(),
  newMessages: int.optional(),
  link: z.string().nullish(),
  access: z.string().nullish(),
  restrictions: int.nullish(),
  pinnedMessage: Message.nullish(),
  participantsCount: int.optional(),
  description: z.string().nullish(),
  options: z.union([z.record(z.string(), z.boolean()), int]).nullish(),
  joinTime: int.optional(),
  invitedBy: int.nullish(),
  modified: int.optional(),
  messagesCount: int.optional(),
  hasBots: z.boolean().nullish(),
  prevMessageId: int.nullish(),
  adminParticipants: z.record(z.string(), z.record(z.string(), z.unknown())).optional(),
  admins: z.array(int).optional(),
  cid: int.nullish(),
});

export const Member = z.looseObject({
  contact: User,
  presence: z.looseObject({ seen: int.nullish(), status: int.nullish() }),
});

export const ReadState = z.looseObject({ unread: int, mark: int });

export const LoginResponse = z.looseObject({
  profile: Profile.nullish(),
  chats: z.array(Chat),
  contacts: z.array(User).optional(),
  messages: z.record(z.string(), z.array(Message)),
  config: z.looseObject({ hash: z.string().optional() }),
  time: int,
  token: z.string().nullish(),
});

export const StartAuthResponse = z.looseObject({
  token: z.string(),
  codeLength: int,
  requestMaxDuration: int,
  requestCountLeft: int,
  altActionDuration: int,
});
export const LoginTokenAttrs = z.looseObject({
  tokenAttrs: z.looseObject({ LOGIN: z.looseObject({ token: z.string() }) }),
});
export const PasswordChallenge = z.looseObject({
  passwordChallenge: z.looseObject({ trackId: z.string(), hint: z.string().nullish() }),
});
export const ApiErrorPayload = z.looseObject({
  error: z.string(),
  message: z.string(),
  title: z.string(),
  localizedMessage: z.string(),
});
export const RequestQrResponse = z.looseObject({
  expiresAt: int,
  pollingInterval: int,
  qrLink: z.string(),
  trackId: z.string(),
  ttl: int,
});
export const CheckQrResponse = z.looseObject({
  status: z.looseObject({ expiresAt: int, loginAvailable: z.boolean() }),
});

export const PhotoUploadResponse = z.looseObject({
  photos: z.record(z.string(), z.looseObject({ token: z.string() })),
});
export const VideoUploadResponse = z.looseObject({
  info: z.array(z.looseObject({ url: z.string(), videoId: int, token: z.string() })).min(1),
});
export const FileUploadResponse = z.looseObject({
  info: z.array(z.looseObject({ url: z.string(), fileId: int })).min(1),
});
export const FileRequest = z.looseObject({ url: z.string(), unsafe: z.boolean() });

/** Event payloads the dispatcher maps (tests/dispatch/test_dispatcher.py). */
export const MessageReadEvent = z.looseObject({
  setAsUnread: z.boolean(),
  chatId: int,
  userId: int,
  mark: int,
});
export const PresenceEvent = z.looseObject({
  userId: int,
  presence: z.looseObject({ seen: int.nullish(), status: int.nullish() }),
});
export const ReactionUpdateEvent = z.looseObject({
  messageId: intLike,
  chatId: int,
  totalCount: int,
  counters: z.array(z.looseObject({ count: int, reaction: z.string() })),
});

/** Parses like pydantic `model_validate`; throws with the failing paths. */
export function parse<T extends z.ZodType>(schema: T, value: unknown): z.output<T> {
  const r = schema.safeParse(value);
  if (!r.success) {
    throw new Error(
      `PyMax model would reject ${JSON.stringify(value).slice(0, 400)}: ${r.error.issues
        .slice(0, 4)
        .map((i) => `${i.path.join(".")}: ${i.message}`)
        .join("; ")}`,
    );
  }
  return r.data;
}
