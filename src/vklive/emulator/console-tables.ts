/** The VK Live console's tables and fault forms. */
import type { ConsoleTable, FaultAction } from "../../core/emulator/console.js";
import type { HttpFaults } from "../../core/emulator/http-faults.js";
import { ERRORS, eventType } from "./console-wire.js";
import type { VkLiveEmulator } from "./server.js";
import type { VkLiveStore } from "./store/index.js";

/** Apps, users, channels, tokens, codes, webhook deliveries, stats and faults in force (never a secret). */
export function vkliveConsoleTables(
  vk: VkLiveEmulator,
  store: VkLiveStore,
  faults: HttpFaults | undefined,
): ConsoleTable[] {
  const stats = vk.admin.stats();
  const own: Record<string, unknown>[] = (faults?.rows() ?? []).map((r) => ({ ...r }));
  return [
    {
      id: "apps",
      title: "Apps",
      columns: ["client_id", "redirect_uri", "webhook_url", "grants", "created_at"],
      rows: store.consoleApps(),
    },
    {
      id: "users",
      title: "Users",
      columns: ["id", "nick", "nick_color", "channels", "created_at"],
      rows: store.consoleUsers() as unknown as Record<string, unknown>[],
    },
    {
      id: "channels",
      title: "Channels",
      columns: [
        "id",
        "url",
        "owner_id",
        "owner",
        "status",
        "stream",
        "stream_title",
        "started_at",
        "viewers",
        "followers",
        "moderators",
        "last_message",
      ],
      rows: store.consoleChannels() as unknown as Record<string, unknown>[],
    },
    {
      id: "tokens",
      title: "Tokens issued (values never shown)",
      columns: [
        "kind",
        "grant_id",
        "client_id",
        "user_id",
        "nick",
        "scopes",
        "flow",
        "expires_at",
        "revoked",
        "created_at",
      ],
      rows: store.consoleTokens(),
    },
    {
      id: "codes",
      title: "Authorization codes (consents, values never shown)",
      columns: ["client_id", "user_id", "nick", "redirect_uri", "scopes", "expires_at", "used"],
      rows: store.consoleCodes(),
    },
    {
      id: "deliveries",
      title: "Webhook deliveries",
      columns: ["id", "clientId", "type", "url", "state", "attempts", "replyStatus", "lastError"],
      rows: vk.admin
        .deliveries()
        .slice(-200)
        .reverse()
        .map((d) => ({
          id: d.id,
          clientId: d.clientId,
          type: eventType(d.event),
          url: d.url,
          state: d.state,
          attempts: d.attempts,
          replyStatus: d.replyStatus,
          lastError: d.lastError,
        })),
    },
    {
      id: "stats",
      title: "Emulator stats",
      columns: ["connections", "published", "tokenRequests"],
      rows: [
        {
          connections: stats.connections,
          published: stats.published,
          tokenRequests: Object.entries(stats.tokenRequests)
            .map(([k, v]) => `${k}: ${v}`)
            .join(", "),
        },
      ],
    },
    {
      id: "faults",
      title: "Console faults in force",
      columns: ["fault", "detail", "remaining", "until"],
      rows: own,
    },
  ];
}

// ── faults ──

export function vkliveFaultActions(): FaultAction[] {
  return [
    {
      action: "fail",
      label: "Fail next N requests",
      fields: [
        { name: "error", label: "error", type: "select", options: ERRORS, default: "service_unavailable" },
        { name: "times", label: "N", type: "number", default: 1 },
        { name: "path", label: "only path (e.g. /v1/chat/message/send)", type: "text", optional: true },
        { name: "status", label: "status (default: the error's)", type: "number", optional: true },
      ],
    },
    {
      action: "ratelimit",
      label: "Rate-limit (429)",
      fields: [
        { name: "limit", label: "requests per window (per token)", type: "number", default: 5 },
        { name: "windowMs", label: "window ms", type: "number", default: 1000 },
        { name: "durationMs", label: "for ms", type: "number", default: 60_000 },
      ],
    },
    {
      action: "drop",
      label: "Drop connections (Centrifugo, open HTTP requests)",
      fields: [{ name: "account", label: "user (empty = all)", type: "account", optional: true }],
    },
    {
      action: "delay",
      label: "Delay HTTP responses",
      fields: [
        { name: "ms", label: "ms", type: "number", default: 1000 },
        { name: "durationMs", label: "for ms", type: "number", default: 60_000 },
      ],
    },
    { action: "clear", label: "Clear console faults", fields: [] },
  ];
}
