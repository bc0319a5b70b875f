import type { z } from "zod";
import {
  type Audience,
  audienceSize,
  MaxImEndpoints as E,
  LIMITS,
  type PushNotifyBody,
} from "../../protocol.js";
import { type Ctx, fail, type RouteDef, route } from "../context.js";
import { settingsOf } from "./users.js";

interface BindingRow {
  push_token: string;
  user_id: number;
  alias: string | null;
  device_sn: number | null;
  settings: string;
  disabled: number;
}

interface Recipient {
  userId: number;
  pushToken: string;
  alias: string | null;
  deviceSn: number | null;
  reason?: "no_push" | "no_push_hours" | "disabled";
}

/**
 * The devices (push bindings: a login's `device_guid`, or `/user/push/alias`) an audience reaches:
 * "all" every device of the app, `tag` devices of users carrying any of the tags, `alias`,
 * `user_id` and `push_token` devices matching any listed value. Unknown values reach nothing.
 */
function resolve(ctx: Ctx, audience: Audience): BindingRow[] {
  const { emu, app } = ctx;
  if (audience === "all") return emu.store.users.pushBindings(app.appId) as BindingRow[];
  if ("tag" in audience) return emu.store.users.pushBindings(app.appId, "tag", audience.tag) as BindingRow[];
  if ("alias" in audience)
    return emu.store.users.pushBindings(app.appId, "alias", audience.alias) as BindingRow[];
  if ("user_id" in audience)
    return emu.store.users.pushBindings(app.appId, "user_id", audience.user_id) as BindingRow[];
  return emu.store.users.pushBindings(app.appId, "push_token", audience.push_token) as BindingRow[];
}

/** Whether `hour` falls in the user's no-push hours (start == end means none; may wrap midnight). */
function inQuietHours(start: number, end: number, hour: number): boolean {
  if (start === end) return false;
  return start < end ? hour >= start && hour < end : hour >= start || hour < end;
}

function notify(ctx: Ctx, b: z.output<typeof PushNotifyBody>): true {
  if (!ctx.app.config.push) fail(12006);
  const url = b.message.attachment_url;
  if (url !== undefined) {
    let ok = false;
    try {
      const u = new URL(url);
      ok = u.protocol === "https:" || u.protocol === "http:";
    } catch {
      ok = false;
    }
    if (!ok) fail(12004);
  }
  // Quiet hours are read on the emulator's clock in UTC.
  const hour = new Date(ctx.now).getUTCHours();
  const delivered: Recipient[] = [];
  const suppressed: Recipient[] = [];
  for (const row of resolve(ctx, b.audience)) {
    const r: Recipient = {
      userId: row.user_id,
      pushToken: row.push_token,
      alias: row.alias,
      deviceSn: row.device_sn,
    };
    const s = settingsOf(row);
    if (row.disabled) suppressed.push({ ...r, reason: "disabled" });
    else if (s.no_push) suppressed.push({ ...r, reason: "no_push" });
    else if (inQuietHours(s.no_push_start_hour, s.no_push_end_hour, hour))
      suppressed.push({ ...r, reason: "no_push_hours" });
    else delivered.push(r);
  }
  ctx.emu.store.records.insertPush(
    ctx.app.appId,
    JSON.stringify(b.audience),
    JSON.stringify(b.message),
    JSON.stringify({ delivered, suppressed }),
    ctx.now,
  );
  return true;
}

export const pushRoutes: RouteDef[] = [
  route({
    endpoint: E.pushNotify,
    preValidate: (body: unknown) => {
      // The seed's own code for long audience lists wins over generic validation.
      const audience =
        body !== null && typeof body === "object" ? (body as { audience?: unknown }).audience : undefined;
      if (audienceSize(audience) > LIMITS.pushAudience) fail(12005);
    },
    handle: (ctx, _q, b) => notify(ctx, b),
  }),
];
