import { MaxImEndpoints as E, Relation } from "../../protocol.js";
import { type Ctx, fail, MaxImFault, type RouteDef, route } from "../context.js";
import { actingUser, cursorPaged, findUser, mustUser, type UserRow } from "../lookups.js";
import { settingsOf } from "./users.js";

const APPLY_TTL_MS = 7 * 24 * 3600_000;

interface RosterRow {
  user_id: number;
  friend_id: number;
  alias: string | null;
  ext: string | null;
  mute_notification: number;
  seq: number;
}

function isFriend(ctx: Ctx, a: number, b: number): RosterRow | undefined {
  return ctx.emu.store.roster.friendship(a, b) as RosterRow | undefined;
}

function blocked(ctx: Ctx, owner: number, other: number): boolean {
  return !!ctx.emu.store.roster.isBlocked(owner, other);
}

/** Friendship is mutual: two rows, one per side, in one transaction. */
function befriend(ctx: Ctx, a: number, b: number, aliasForB?: string): void {
  const { roster } = ctx.emu.store;
  roster.insertFriend(a, b, aliasForB ?? null, ctx.emu.nextId("roster"), ctx.now);
  roster.insertFriend(b, a, null, ctx.emu.nextId("roster"), ctx.now);
}

function rosterInfo(ctx: Ctx, owner: number | null, u: UserRow): Record<string, unknown> {
  const r = owner === null ? undefined : isFriend(ctx, owner, u.user_id);
  const s = settingsOf(u);
  const relation = r
    ? Relation.FRIEND
    : owner !== null && blocked(ctx, owner, u.user_id)
      ? Relation.BLOCKED
      : Relation.STRANGER;
  return {
    user_id: u.user_id,
    username: u.username,
    nick_name: u.nick_name ?? "",
    alias: r?.alias ?? "",
    ext: r?.ext ?? "",
    mute_notification: r ? r.mute_notification === 1 : false,
    auth_mode: s.auth_mode,
    auth_question: s.auth_question,
    avatar: u.avatar ?? "",
    description: u.description ?? "",
    public_info: u.public_info ?? "",
    relation,
  };
}

/**
 * One friend application from `me` following the target's `auth_mode`: 0 befriends at once,
 * 1 files an application, 2 befriends on the right answer (else 10001), 3 refuses (10012).
 * Every check comes before the first write, so a refused application writes nothing.
 */
function apply(
  ctx: Ctx,
  me: number,
  b: {
    user_id: number;
    reason?: string | undefined;
    alias?: string | undefined;
    auth_answer?: string | undefined;
  },
): void {
  const target = mustUser(ctx, b.user_id);
  if (target.user_id === me) fail(10002, "cannot add yourself");
  if (isFriend(ctx, me, target.user_id)) fail(10005);
  if (blocked(ctx, target.user_id, me)) fail(10006);
  const s = settingsOf(target);
  if (s.auth_mode === 3) fail(10012);
  if (s.auth_mode === 2 && (b.auth_answer ?? "") !== s.auth_answer) fail(10001);
  if (s.auth_mode === 0 || s.auth_mode === 2) befriend(ctx, me, target.user_id, b.alias);
  else if (!pendingApply(ctx, me, target.user_id)) {
    ctx.emu.store.roster.insertApply(
      me,
      target.user_id,
      b.reason ?? "",
      b.alias ?? null,
      ctx.now,
      ctx.now + APPLY_TTL_MS,
    );
  }
}

function pendingApply(ctx: Ctx, from: number, to: number): { id: number } | undefined {
  return ctx.emu.store.roster.pendingApply(from, to, ctx.now) as { id: number } | undefined;
}

export const rosterRoutes: RouteDef[] = [
  route({
    endpoint: E.addRoster,
    handle: (ctx, _q, b) => {
      const me = actingUser(ctx).user_id;
      if (!ctx.admin) fail(10010);
      for (const id of b.list) {
        mustUser(ctx, id);
        if (id === me) fail(10002, "cannot add yourself");
      }
      ctx.emu.db.transaction(() => {
        for (const id of b.list) befriend(ctx, me, id);
      })();
      return true;
    },
  }),
  route({
    endpoint: E.rosters,
    handle: (ctx) => {
      const me = actingUser(ctx).user_id;
      const rows = ctx.emu.store.roster.friendsWithNames(me) as { user_id: number; name: string }[];
      return rows;
    },
  }),
  route({
    endpoint: E.friendIds,
    handle: (ctx, q) => {
      const me = actingUser(ctx).user_id;
      const limit = q.limit ?? 1000;
      const rows = ctx.emu.store.roster.friendsAfter(me, Number(q.cursor ?? 0), limit + 1) as {
        friend_id: number;
        seq: number;
      }[];
      return cursorPaged(
        rows,
        limit,
        (r) => r.seq,
        (r) => r.friend_id,
      );
    },
  }),
  route({
    endpoint: E.friendDetails,
    handle: (ctx, _q, b) => {
      const owner = ctx.actor;
      return b.list.flatMap((id) => {
        const u = findUser(ctx, id);
        return u ? [rosterInfo(ctx, owner, u)] : [];
      });
    },
  }),
  route({
    endpoint: E.applyFriend,
    handle: (ctx, _q, b) => {
      const me = actingUser(ctx).user_id;
      ctx.emu.db.transaction(() => apply(ctx, me, b))();
      return true;
    },
  }),
  route({
    endpoint: E.applyFriends,
    handle: (ctx, _q, list) => {
      const me = actingUser(ctx).user_id;
      const success: number[] = [];
      const fails: { user_id: number; reason: string }[] = [];
      // Each application stands alone: a refused one is reported, the others go through.
      ctx.emu.db.transaction(() => {
        for (const item of list) {
          try {
            apply(ctx, me, item);
            success.push(item.user_id);
          } catch (err) {
            if (!(err instanceof MaxImFault)) throw err;
            fails.push({ user_id: item.user_id, reason: String(err.code) });
          }
        }
      })();
      return { success, fails };
    },
  }),
  route({
    endpoint: E.mayMessage,
    handle: (ctx, q) => {
      mustUser(ctx, q.user_id);
      mustUser(ctx, q.roster_id);
      // `user_id` may write to `roster_id` unless `roster_id` has blacklisted it.
      return !blocked(ctx, q.roster_id, q.user_id);
    },
  }),
  route({
    endpoint: E.friendApplications,
    handle: (ctx, q) => {
      const me = actingUser(ctx).user_id;
      const limit = q.limit ?? 100;
      const rows = ctx.emu.store.roster.appliesAfter(me, Number(q.cursor ?? 0), limit + 1) as {
        id: number;
        from_id: number;
        reason: string;
        status: number;
        expired_time: number;
      }[];
      return cursorPaged(
        rows,
        limit,
        (r) => r.id,
        (r) => ({ user_id: r.from_id, reason: r.reason, status: r.status, expired_time: r.expired_time }),
      );
    },
  }),
  route({
    endpoint: E.acceptFriend,
    handle: (ctx, q) => {
      const me = actingUser(ctx).user_id;
      const apply = pendingApply(ctx, q.user_id, me) ?? fail(10007);
      ctx.emu.db.transaction(() => {
        ctx.emu.store.roster.acceptApply(apply.id);
        befriend(ctx, q.user_id, me);
      })();
      return true;
    },
  }),
  route({
    endpoint: E.declineFriend,
    handle: (ctx, _q, b) => {
      const me = actingUser(ctx).user_id;
      const apply = pendingApply(ctx, b.user_id, me) ?? fail(10007);
      ctx.emu.store.roster.declineApply(apply.id);
      return true;
    },
  }),
  route({
    endpoint: E.deleteFriend,
    handle: (ctx, q) => {
      const me = actingUser(ctx).user_id;
      if (!isFriend(ctx, me, q.user_id)) fail(10007);
      ctx.emu.db.transaction(() => {
        ctx.emu.store.roster.deleteFriend(me, q.user_id);
        ctx.emu.store.roster.deleteFriend(q.user_id, me);
      })();
      return true;
    },
  }),
  route({
    endpoint: E.updateFriend,
    handle: (ctx, _q, b) => {
      const me = actingUser(ctx).user_id;
      if (!isFriend(ctx, me, b.user_id)) fail(10007);
      ctx.emu.store.roster.updateFriend(
        b.alias ?? null,
        b.ext ?? null,
        b.mute_notification === undefined ? null : b.mute_notification ? 1 : 0,
        me,
        b.user_id,
      );
      return true;
    },
  }),
  route({
    endpoint: E.blockUser,
    handle: (ctx, q) => {
      const me = actingUser(ctx).user_id;
      mustUser(ctx, q.user_id);
      if (blocked(ctx, me, q.user_id)) fail(10006);
      ctx.emu.store.roster.insertBlock(me, q.user_id, ctx.now);
      return true;
    },
  }),
  route({
    endpoint: E.unblockUser,
    handle: (ctx, q) => {
      const me = actingUser(ctx).user_id;
      const r = ctx.emu.store.roster.deleteBlock(me, q.user_id);
      if (r.changes === 0) fail(10007);
      return true;
    },
  }),
  route({
    endpoint: E.blockedUsers,
    handle: (ctx) => {
      const me = actingUser(ctx).user_id;
      return (
        ctx.emu.store.roster.blockedIds(me) as {
          blocked_id: number;
        }[]
      ).map((r) => r.blocked_id);
    },
  }),
  route({
    endpoint: E.findUserById,
    handle: (ctx, q) => rosterInfo(ctx, ctx.actor, mustUser(ctx, q.user_id)),
  }),
  route({
    endpoint: E.findUserByName,
    handle: (ctx, q) => {
      const u = ctx.emu.store.users.byUsername(ctx.app.appId, q.username) as UserRow | undefined;
      return rosterInfo(ctx, ctx.actor, u ?? fail(10000));
    },
  }),
];
