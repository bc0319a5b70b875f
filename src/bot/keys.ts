/**
 * The keys the bot's store files updates under: the account (`platform:account`), the update
 * (de-duplication across live events and history catch-up), the chat (one lane per chat key) and
 * the catch-up cursor of a created message.
 */
import type { Adapter, AdapterEvent } from "../core/adapter.js";
import type { AccountKey } from "./types.js";

/** `platform:account`. */
export function accountKeyOf(adapter: Pick<Adapter, "platform" | "account">): AccountKey {
  return `${adapter.platform}:${adapter.account}`;
}

/**
 * The de-duplication key. A created message is keyed by chat and message id, not the adapter's
 * event id, so the same message from live events and from history catch-up is one update (the
 * adapters' ids for it differ in form: maxbot uses the update key).
 */
export function updateKeyOf(adapter: Pick<Adapter, "platform" | "account">, event: AdapterEvent): string {
  const id =
    event.type === "message.created"
      ? `message.created:${event.message.chat.id}:${event.message.ref.id}`
      : event.id;
  return `${accountKeyOf(adapter)}:${id}`;
}

/** The chat an event belongs to (`-` when none): updates of one chat key run one after another. */
export function chatKeyOf(adapter: Pick<Adapter, "platform" | "account">, event: AdapterEvent): string {
  return `${accountKeyOf(adapter)}:${chatIdOf(event) ?? "-"}`;
}

function chatIdOf(event: AdapterEvent): string | undefined {
  switch (event.type) {
    case "message.created":
    case "message.edited":
      return event.message.chat.id;
    case "chat.updated":
      return event.chat.ref.id;
    case "message.deleted":
    case "reaction":
    case "typing":
    case "member.joined":
    case "member.left":
      return event.chat.id;
    default:
      return undefined;
  }
}

/** For a created message: its Ref, serialized (what history({after}) takes on a restart). */
export function cursorOf(event: AdapterEvent): string | undefined {
  return event.type === "message.created" ? JSON.stringify(event.message.ref) : undefined;
}
