/**
 * Updates (long polling `GET /updates` and webhook bodies): every `update_type` of the schema's
 * `Update` union, each with `timestamp` (ms). Updates have no id of their own; the list's
 * `marker` commits everything before it. Lenient: fields added later are kept under `extra`.
 */
import { z } from "zod";
import { lenient } from "../../core/extra.js";
import { Chat, Int64, Message, User } from "./objects.js";

const base = { timestamp: Int64 };
const locale = { user_locale: z.string().nullish() };

export const MessageCreatedUpdate = lenient({
  update_type: z.literal("message_created"),
  ...base,
  message: Message,
  ...locale,
});
export const Callback = lenient({
  timestamp: Int64,
  callback_id: z.string(),
  payload: z.string().nullish(),
  user: User,
});
export type Callback = z.infer<typeof Callback>;
export const MessageCallbackUpdate = lenient({
  update_type: z.literal("message_callback"),
  ...base,
  callback: Callback,
  message: Message.nullable(),
  ...locale,
});
export const MessageEditedUpdate = lenient({
  update_type: z.literal("message_edited"),
  ...base,
  message: Message,
});
export const MessageRemovedUpdate = lenient({
  update_type: z.literal("message_removed"),
  ...base,
  message_id: z.string(),
  chat_id: Int64,
  user_id: Int64,
});
export const MessageChatCreatedUpdate = lenient({
  update_type: z.literal("message_chat_created"),
  ...base,
  chat: Chat,
  message_id: z.string(),
  start_payload: z.string().nullish(),
});
const chatUser = { chat_id: Int64, user: User };
export const BotAddedUpdate = lenient({
  update_type: z.literal("bot_added"),
  ...base,
  ...chatUser,
  is_channel: z.boolean(),
});
export const BotRemovedUpdate = lenient({
  update_type: z.literal("bot_removed"),
  ...base,
  ...chatUser,
  is_channel: z.boolean(),
});
export const UserAddedUpdate = lenient({
  update_type: z.literal("user_added"),
  ...base,
  ...chatUser,
  inviter_id: Int64.nullish(),
  is_channel: z.boolean(),
});
export const UserRemovedUpdate = lenient({
  update_type: z.literal("user_removed"),
  ...base,
  ...chatUser,
  admin_id: Int64.nullish(),
  is_channel: z.boolean(),
});
export const BotStartedUpdate = lenient({
  update_type: z.literal("bot_started"),
  ...base,
  ...chatUser,
  payload: z.string().nullish(),
  ...locale,
});
export const BotStoppedUpdate = lenient({
  update_type: z.literal("bot_stopped"),
  ...base,
  ...chatUser,
  ...locale,
});
export const DialogClearedUpdate = lenient({
  update_type: z.literal("dialog_cleared"),
  ...base,
  ...chatUser,
  ...locale,
});
export const DialogRemovedUpdate = lenient({
  update_type: z.literal("dialog_removed"),
  ...base,
  ...chatUser,
  ...locale,
});
export const DialogMutedUpdate = lenient({
  update_type: z.literal("dialog_muted"),
  ...base,
  ...chatUser,
  muted_until: Int64,
  ...locale,
});
export const DialogUnmutedUpdate = lenient({
  update_type: z.literal("dialog_unmuted"),
  ...base,
  ...chatUser,
  ...locale,
});
export const ChatTitleChangedUpdate = lenient({
  update_type: z.literal("chat_title_changed"),
  ...base,
  ...chatUser,
  title: z.string(),
});

export const Update = z.discriminatedUnion("update_type", [
  MessageCreatedUpdate,
  MessageCallbackUpdate,
  MessageEditedUpdate,
  MessageRemovedUpdate,
  MessageChatCreatedUpdate,
  BotAddedUpdate,
  BotRemovedUpdate,
  UserAddedUpdate,
  UserRemovedUpdate,
  BotStartedUpdate,
  BotStoppedUpdate,
  DialogClearedUpdate,
  DialogRemovedUpdate,
  DialogMutedUpdate,
  DialogUnmutedUpdate,
  ChatTitleChangedUpdate,
]);
export type Update = z.infer<typeof Update>;
export type UpdateOf<T extends Update["update_type"]> = Extract<Update, { update_type: T }>;

/** `GET /updates` answer: `marker` points past the last update returned. */
export const UpdateList = lenient({ updates: z.array(Update), marker: Int64.nullable() });
export type UpdateList = z.infer<typeof UpdateList>;
