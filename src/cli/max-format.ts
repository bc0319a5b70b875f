/** How `switchboard max` shows chats, messages, events and upload progress to a person. */
import { createRequire } from "node:module";
import type { MaxChat, MaxEvent, MaxMessage } from "../max/client/types.js";
import { formatBytes } from "./options.js";

function clock(ms: number): string {
  return new Date(ms).toISOString().replace("T", " ").slice(0, 19);
}

export function messageLine(m: MaxMessage): string {
  const attaches = m.attaches.map((a) => `[${a._type.toLowerCase()}]`).join(" ");
  const edited = m.status === "EDITED" ? " (edited)" : "";
  return `${clock(m.time)}  #${m.id}  ${m.sender}: ${[m.text, attaches].filter(Boolean).join(" ")}${edited}`;
}

export function chatLine(c: MaxChat): string {
  const title = c.title || (c.type === "DIALOG" ? "(dialog)" : "(untitled)");
  const last = c.lastMessage ? `  — ${c.lastMessage.text.slice(0, 60)}` : "";
  return `${String(c.id).padStart(12)}  ${c.type.padEnd(7)}  ${title}${last}`;
}

/** The --json line of a tail event: `{type, data}`; an error's data is `{name, message, code}`. */
export function eventJson(event: MaxEvent): unknown {
  if (event.type !== "error") return event;
  const e = event.data;
  return { type: "error", data: { name: e.name, message: e.message, code: e.code ?? null } };
}

export function matchesChat(event: MaxEvent, chatId: number | undefined): boolean {
  if (chatId === undefined) return true;
  const data = event.data as { chatId?: unknown; chat?: { id?: unknown } };
  if (typeof data.chatId === "number") return data.chatId === chatId;
  if (data.chat && typeof data.chat.id === "number") return data.chat.id === chatId;
  return event.type === "state" || event.type === "error";
}

export function eventLine(event: MaxEvent): string {
  switch (event.type) {
    case "message":
      return `[${event.data.chatId}] ${messageLine(event.data.message)}`;
    case "messageEdited":
      return `[${event.data.chatId}] edited ${messageLine(event.data.message)}`;
    case "messageDeleted":
      return `[${event.data.chatId}] deleted ${event.data.messageIds.map((id) => `#${id}`).join(", ")}`;
    case "reaction":
      return `[${event.data.chatId}] reactions on #${event.data.messageId}: ${event.data.counters.map((c) => `${c.reaction}×${c.count}`).join(" ")}`;
    case "typing":
      return `[${event.data.chatId}] ${event.data.userId} is typing…`;
    case "presence":
      return `${event.data.userId} is ${event.data.online ? "online" : "offline"}`;
    case "read":
      return `[${event.data.chatId}] ${event.data.userId} read up to ${clock(event.data.mark)}`;
    case "chatUpdated":
      return `[${event.data.chat.id}] chat updated: ${event.data.chat.title ?? ""}`;
    case "uploadComplete":
      return `upload processed: ${JSON.stringify(event.data)}`;
    case "state":
      return `-- connection ${event.data.state}${event.data.reason ? ` (${event.data.reason})` : ""}`;
    case "error":
      return `-- error: ${event.data.message}`;
    default:
      return JSON.stringify(event);
  }
}

/** A one-line progress bar on stderr (stdout stays clean for scripts), sizes in B/KB/MB. */
export function progressBar(label: string): (p: { sent: number; total?: number }) => void {
  let lastDraw = 0;
  return ({ sent, total }) => {
    const now = Date.now();
    if (now - lastDraw < 50 && sent !== total) return;
    lastDraw = now;
    if (total) {
      const ratio = Math.min(1, sent / total);
      const width = 30;
      const filled = Math.round(ratio * width);
      process.stderr.write(
        `\r${label} [${"#".repeat(filled)}${" ".repeat(width - filled)}] ${String(Math.round(ratio * 100)).padStart(3)}% ${formatBytes(sent)}/${formatBytes(total)}`,
      );
      if (sent >= total) process.stderr.write("\n");
    } else {
      process.stderr.write(`\r${label} ${formatBytes(sent)}`);
    }
  };
}

export function printQr(link: string): void {
  // qrcode-terminal ships no types; its one function is typed here.
  const qr = createRequire(import.meta.url)("qrcode-terminal") as {
    generate(text: string, opts: { small: boolean }, cb: (art: string) => void): void;
  };
  qr.generate(link, { small: true }, (art) => process.stderr.write(`${art}\n`));
  process.stderr.write(`Scan with the MAX app (Settings → Devices), or open: ${link}\n`);
}
