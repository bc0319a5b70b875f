import { MaxImEndpoints as E, LIMITS } from "../../protocol.js";
import { fail, Paged, type RouteDef, route } from "../context.js";
import {
  actingUser,
  addMember,
  cursorPaged,
  type MemberRow,
  member,
  mustGroup,
  mustUser,
  pageOf,
  Role,
  requireAdmin,
} from "../lookups.js";
import {
  asAdmin,
  asInviter,
  asMember,
  groupRoute,
  join,
  memberOut,
  no,
  ok,
  ownMember,
  perUserRoute,
  REQUEST_TTL_MS,
  type RequestRow,
  setOwnMember,
  touch,
} from "./group-kit.js";
import { settingsOf } from "./users.js";

export const groupMemberRoutes: RouteDef[] = [
  perUserRoute({
    endpoint: E.invite,
    guard: asInviter,
    each: (ctx, g, b) => {
      const inviter = ctx.actor ?? g.owner_id;
      return (id) => {
        const u = mustUser(ctx, id);
        if (member(ctx, g.group_id, id)) fail(20017);
        if (settingsOf(u).group_confirm) {
          ctx.emu.store.groups.insertInvite(
            g.group_id,
            id,
            inviter,
            b.reason ?? "",
            ctx.now,
            ctx.now,
            ctx.now + REQUEST_TTL_MS,
          );
          return ok(id, "waiting for the invitee to accept");
        }
        addMember(ctx, g, id);
        return ok(id);
      };
    },
  }),
  route({
    endpoint: E.handleInvitation,
    handle: (ctx, _q, b) => {
      const me = actingUser(ctx).user_id;
      const g = mustGroup(ctx, b.group_id);
      const inv = ctx.emu.store.groups.pendingInvite(g.group_id, me, b.user_id, ctx.now) as
        | RequestRow
        | undefined;
      if (!inv) fail(20015);
      ctx.emu.db.transaction(() => {
        ctx.emu.store.groups.setRequestStatus(b.approval ? 1 : 2, ctx.now, inv.id);
        if (b.approval) join(ctx, g, me);
      })();
      return true;
    },
  }),
  route({
    endpoint: E.invitations,
    handle: (ctx, q) => {
      const me = actingUser(ctx).user_id;
      const limit = q.limit ?? 100;
      const rows = ctx.emu.store.groups.invitesAfter(me, Number(q.cursor ?? 0), limit + 1) as RequestRow[];
      const page = pageOf(rows, limit, (r) => r.id);
      return new Paged(
        page.items.map((r) => ({
          group_id: r.group_id,
          inviter_id: r.inviter_id,
          invitee_id: r.user_id,
          reason: r.reason,
          status: r.status,
          expired_time: r.expired_time,
          updated_at: String(r.updated_at),
        })),
        page.cursor ? { cursor: page.cursor, total: rows.length } : {},
      );
    },
  }),
  route({
    endpoint: E.applyGroup,
    handle: (ctx, _q, b) => {
      const me = actingUser(ctx).user_id;
      const g = mustGroup(ctx, b.group_id);
      if (member(ctx, g.group_id, me)) fail(20017);
      if (ctx.emu.store.groups.isBlocked(g.group_id, me)) {
        fail(20018);
      }
      if (g.apply_approval === 2) return no(me, "the group rejects all applications");
      if (g.apply_approval === 0) {
        ctx.emu.db.transaction(() => join(ctx, g, me))();
        return ok(me);
      }
      ctx.emu.store.groups.insertApplication(
        g.group_id,
        me,
        b.reason ?? "",
        ctx.now,
        ctx.now,
        ctx.now + REQUEST_TTL_MS,
      );
      return ok(me, "waiting for an admin to approve");
    },
  }),
  groupRoute({
    endpoint: E.handleApplication,
    guard: asAdmin,
    handle: (ctx, g, b) => {
      const app = ctx.emu.store.groups.pendingApplication(g.group_id, b.user_id, ctx.now) as
        | RequestRow
        | undefined;
      if (!app) fail(20014);
      ctx.emu.db.transaction(() => {
        ctx.emu.store.groups.setRequestStatus(b.approval ? 1 : 2, ctx.now, app.id);
        if (b.approval) join(ctx, g, b.user_id);
      })();
      return ok(b.user_id);
    },
  }),
  route({
    endpoint: E.applications,
    handle: (ctx, q, b) => {
      for (const id of b.group_list) requireAdmin(ctx, mustGroup(ctx, id).group_id);
      const limit = q.limit ?? 100;
      const rows = ctx.emu.store.groups.applicationsAfter(
        b.group_list,
        Number(q.cursor ?? 0),
        limit + 1,
      ) as RequestRow[];
      return cursorPaged(
        rows,
        limit,
        (r) => r.id,
        (r) => ({
          applicant_id: r.user_id,
          group_id: r.group_id,
          reason: r.reason,
          status: r.status,
          expired_time: r.expired_time,
        }),
      );
    },
  }),
  perUserRoute({
    endpoint: E.kickMembers,
    guard: asAdmin,
    touchGroup: true,
    each: (ctx, g, _b, role) => (id) => {
      const m = member(ctx, g.group_id, id) ?? fail(20002);
      if (m.role >= role) fail(role === Role.ADMIN ? 20013 : 20012);
      ctx.emu.store.groups.deleteMember(m.seq);
      ctx.emu.store.groups.countKick(g.group_id, id);
      return ok(id);
    },
  }),
  route({
    endpoint: E.leaveGroup,
    handle: (ctx, q) => {
      const g = mustGroup(ctx, q.group_id);
      const m = ownMember(ctx, g);
      if (m.role === Role.OWNER) fail(20004);
      ctx.emu.store.groups.deleteMember(m.seq);
      touch(ctx, g.group_id);
      return true;
    },
  }),
  perUserRoute({
    endpoint: E.blockGroupUsers,
    guard: asAdmin,
    each: (ctx, g, _b, role) => (id) => {
      mustUser(ctx, id);
      const m = member(ctx, g.group_id, id);
      if (m && m.role >= role) fail(20013);
      if (ctx.emu.store.groups.isBlocked(g.group_id, id)) {
        fail(20018);
      }
      if (m) ctx.emu.store.groups.deleteMember(m.seq);
      ctx.emu.store.groups.insertBlock(g.group_id, id, ctx.now);
      return ok(id);
    },
  }),
  perUserRoute({
    endpoint: E.unblockGroupUsers,
    guard: asAdmin,
    each: (ctx, g) => (id) => {
      const r = ctx.emu.store.groups.deleteBlock(g.group_id, id);
      return r.changes ? ok(id) : no(id, "not blacklisted");
    },
  }),
  groupRoute({
    endpoint: E.groupBlockedList,
    guard: asAdmin,
    handle: (ctx, g, q) => {
      // Paged like member_list (the blacklist has no size limit): `cursor` is the last user_id.
      const limit = q.limit ?? LIMITS.memberPage;
      const rows = ctx.emu.store.groups.blocks(g.group_id, Number(q.cursor ?? 0), limit + 1) as {
        group_id: number;
        user_id: number;
        created_at: number;
      }[];
      return cursorPaged(
        rows,
        limit,
        (r) => r.user_id,
        (r) => ({ group_id: r.group_id, user_id: r.user_id, created_at: String(r.created_at) }),
      );
    },
  }),
  perUserRoute({
    endpoint: E.banMembers,
    guard: asAdmin,
    each: (ctx, g, b, role) => {
      const until = b.duration < 0 ? -1 : ctx.now + b.duration * 60_000;
      return (id) => {
        const m = member(ctx, g.group_id, id) ?? fail(20002);
        if (m.role >= role) fail(20013);
        ctx.emu.store.groups.setMemberBan(until, m.seq);
        return ok(id);
      };
    },
  }),
  perUserRoute({
    endpoint: E.unbanMembers,
    guard: asAdmin,
    each: (ctx, g) => (id) => {
      const m = member(ctx, g.group_id, id) ?? fail(20002);
      ctx.emu.store.groups.clearMemberBan(m.seq);
      return ok(id);
    },
  }),
  groupRoute({
    endpoint: E.bannedMembers,
    guard: asMember,
    handle: (ctx, g) => {
      const rows = ctx.emu.store.groups.bannedMembers(g.group_id, ctx.now) as MemberRow[];
      return new Paged(rows.map(memberOut), { total: rows.length });
    },
  }),
  setOwnMember(E.groupPushMode, "msg_push_mode", (b) =>
    b.msg_push_mode < 0 || b.msg_push_mode > 4 ? fail(20003) : b.msg_push_mode,
  ),
  setOwnMember(E.groupMuteMode, "msg_mute_mode", (b) => b.msg_mute_mode),
  // ---- announcements
];
