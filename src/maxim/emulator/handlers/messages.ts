import type { z } from "zod";
import {
  CONTENT_TYPE_NAMES,
  MaxImEndpoints as E,
  LIMITS,
  type MessageSendBody,
  TargetType,
} from "../../protocol.js";
import { type Ctx, fail, type RouteDef, route } from "../context.js";
import { actingUser, findUser, type GroupRow, member, mustGroup, mustUser, Role } from "../lookups.js";

export interface MessageRow {
  msg_id: number;
  from_id: number;
  to_id: number;
  to_type: number;
  content_type: number;
  content: string;
  attachment: string | null;
  ext: string | null;
  config: string | null;
  recalled: number;
  created_at: number;
}

function serializeMessage(m: MessageRow, read: boolean): Record<string, unknown> {
  return {
    msg_id: m.msg_id,
    from_xid: { uid: m.from_id, device_sn: 0 },
    to_xid: { uid: m.to_id, device_sn: 0 },
    ctype: CONTENT_TYPE_NAMES[m.content_type] ?? "TEXT",
    content: m.content,
    attachment: m.attachment ?? "",
    ext: m.ext ?? "",
    config: m.config ?? "",
    status: read ? "READ" : "UNREAD",
    timestamp: m.created_at,
  };
}

/** Sender rules in a group: members only; muted members and "ban all" only let admins speak. */
function checkGroupSender(ctx: Ctx, g: GroupRow, from: number): void {
  if (from === 0) return;
  const m = member(ctx, g.group_id, from) ?? fail(20002);
  if (m.role >= Role.ADMIN) return;
  const nowSec = Math.floor(ctx.now / 1000);
  if (g.ban_expire_time === -1 || g.ban_expire_time > nowSec) fail(10010, "The group is muted");
  if (m.ban_expire === -1 || m.ban_expire > ctx.now) fail(10010, "The user is muted in this group");
}

/**
 * `/message/send` and `/message/notify`: one message per target, delivered to the inbox of the
 * user (plus the sender's copy) or of every group member, all in one transaction.
 */
function deliver(ctx: Ctx, b: z.output<typeof MessageSendBody>, kind: "message" | "notify"): Promise<true> {
  // Checks and writes share one group-committed savepoint: nothing half-written, and the hot
  // path pays for one commit per event-loop turn instead of one per request.
  return ctx.emu.batch(() => deliverNow(ctx, b, kind));
}

function deliverNow(ctx: Ctx, b: z.output<typeof MessageSendBody>, kind: "message" | "notify"): true {
  const { emu, app } = ctx;
  let from: number;
  // A system notification comes from the app (0) unless it names a sender.
  if (kind === "notify") from = b.from_user_id ?? 0;
  else if (ctx.admin) from = b.from_user_id ?? ctx.actor ?? 0;
  else {
    from = ctx.requireActor();
    if (b.from_user_id !== undefined && b.from_user_id !== from) fail(10010);
  }
  if (from !== 0) {
    const u = mustUser(ctx, from);
    if (u.disabled) fail(10010, "User is disabled");
  }
  for (const id of b.targets) {
    if (b.type === TargetType.USER) mustUser(ctx, id);
    else checkGroupSender(ctx, mustGroup(ctx, id), kind === "notify" ? 0 : from);
  }
  const { messages } = emu.store;
  if (b.transaction_id !== undefined) {
    // Scoped to the sender (app + from + id) and bounded to the 10-minute window of the
    // injected clock: two senders never collide, and a genuine retry is answered as the first.
    const windowStart = ctx.now - LIMITS.dedupeWindowMs;
    emu.store.messages.expireTransactions(windowStart);
    const r = emu.store.messages.claimTransaction(
      app.appId,
      from,
      String(b.transaction_id),
      ctx.now,
      windowStart,
    );
    // Seen recently from this sender: acknowledged again, executed once.
    if (r.changes === 0) return true;
  }
  for (const to of b.targets) {
    const msgId = emu.nextId("message");
    messages.insertMessage(
      msgId,
      app.appId,
      from,
      to,
      b.type,
      b.content_type,
      b.content ?? "",
      b.attachment ?? null,
      b.ext ?? null,
      b.config ?? null,
      ctx.now,
      kind,
    );
    if (b.type === TargetType.USER) {
      messages.deliver(to, from, msgId, 0);
      if (from !== 0 && from !== to) messages.deliver(from, to, msgId, 1);
    } else {
      const members = emu.store.groups.memberIds(to) as {
        user_id: number;
      }[];
      for (const m of members) messages.deliver(m.user_id, to, msgId, m.user_id === from ? 1 : 0);
    }
  }
  return true;
}

/** Messages up to this id were deleted from `userId`'s view of the conversation. */
function clearedUpTo(ctx: Ctx, userId: number, conversationId: number): number {
  const r = ctx.emu.store.messages.clearedUpTo(userId, conversationId) as
    | { up_to_msg_id: number }
    | undefined;
  return r?.up_to_msg_id ?? 0;
}

export const messageRoutes: RouteDef[] = [
  route({
    endpoint: E.sendMessage,
    handle: (ctx, _q, b) => deliver(ctx, b, "message"),
  }),
  route({
    endpoint: E.sendNotification,
    handle: (ctx, _q, b) => deliver(ctx, b, "notify"),
  }),
  route({
    endpoint: E.recallMessage,
    handle: (ctx, _q, b) => {
      const m = ctx.emu.store.messages.message(b.msg_id, ctx.app.appId) as MessageRow | undefined;
      if (!m || m.recalled) fail(10002, "message does not exist");
      if (ctx.actor !== null && m.from_id !== ctx.actor) {
        const isGroupAdmin =
          m.to_type === 2 && (member(ctx, m.to_id, ctx.actor ?? 0)?.role ?? 0) >= Role.ADMIN;
        if (!isGroupAdmin) fail(10010);
      }
      ctx.emu.store.messages.recall(m.msg_id);
      return true;
    },
  }),
  route({
    endpoint: E.conversation,
    handle: (ctx, q) => {
      const me = actingUser(ctx).user_id;
      const start = q.msg_id_start === 0 ? Number.MAX_SAFE_INTEGER : q.msg_id_start;
      const after = clearedUpTo(ctx, me, q.opposite_id);
      let rows: MessageRow[];
      const opposite = findUser(ctx, q.opposite_id);
      if (opposite || q.opposite_id === 0) {
        rows = ctx.emu.store.messages.directPage(
          ctx.app.appId,
          start,
          after,
          me,
          q.opposite_id,
          q.opposite_id,
          me,
          q.limit + 1,
        ) as MessageRow[];
      } else {
        const g = mustGroup(ctx, q.opposite_id);
        const m = member(ctx, g.group_id, me) ?? fail(20002);
        const since = g.history_visible === 1 ? 0 : m.join_time;
        rows = ctx.emu.store.messages.groupPage(g.group_id, start, after, since, q.limit + 1) as MessageRow[];
      }
      const isLast = rows.length <= q.limit;
      const page = rows.slice(0, q.limit);
      const messages = page.map((m) => {
        const r = ctx.emu.store.messages.readFlag(me, m.msg_id) as { read: number } | undefined;
        return serializeMessage(m, (r?.read ?? 1) === 1);
      });
      const last = page[page.length - 1];
      return { messages, is_last: isLast, next_msg_id: isLast || !last ? 0 : last.msg_id };
    },
  }),
  route({
    endpoint: E.unread,
    handle: (ctx) => {
      const me = actingUser(ctx).user_id;
      const rows = ctx.emu.store.messages.unreadCounts(me) as { uid: number; num: number }[];
      return rows.map((r) => ({ conversation_id: { uid: r.uid }, num: r.num }));
    },
  }),
  route({
    endpoint: E.ack,
    handle: (ctx, q) => {
      const me = actingUser(ctx).user_id;
      ctx.emu.store.messages.markRead(me, q.conversation_id, q.msg_id ?? Number.MAX_SAFE_INTEGER);
      return true;
    },
  }),
  route({
    endpoint: E.deleteConversation,
    handle: (ctx, q) => {
      const me = actingUser(ctx).user_id;
      const id = q.conversation_id;
      if (id !== 0 && !findUser(ctx, id)) mustGroup(ctx, id);
      const last = ctx.emu.store.messages.lastMsgId() as {
        n: number | null;
      };
      // Only this user's view goes: the other side keeps its history.
      ctx.emu.db.transaction(() => {
        ctx.emu.store.messages.setClearedUpTo(me, id, last.n ?? 0);
        ctx.emu.store.messages.clearInbox(me, id);
      })();
      return true;
    },
  }),
];
