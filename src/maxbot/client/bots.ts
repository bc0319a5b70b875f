/** MaxBotClient: the bot itself (`/me`). */
import type { CallOptions } from "../../core/call.js";
import { type BotPatch, MaxBotEndpoints as E } from "../protocol.js";
import type { MaxBotCore } from "./core.js";

export const botsApi = {
  /** The bot's own user, name, description and commands. */
  getMe(this: MaxBotCore, options: CallOptions = {}) {
    return this.call(E.getMyInfo, {}, options);
  },
  /** Changes the bot's name, description, commands or photo; answers the bot as it is now. */
  editMe(this: MaxBotCore, patch: BotPatch, options: CallOptions = {}) {
    return this.call(E.editMyInfo, { input: patch }, options);
  },
  /** Replaces the bot's command list (`PATCH /me/commands`, the official SDK's editMyCommands). */
  setCommands(
    this: MaxBotCore,
    commands: { name: string; description?: string | null }[],
    options: CallOptions = {},
  ) {
    return this.call(E.editMyCommands, { input: { commands } }, options);
  },
};

export type BotsApi = typeof botsApi;
