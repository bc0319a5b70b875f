import { type Ctx, fail, Paged } from "./context.js";
import type { UserRow } from "./store/users.js";

export type { UserRow };

/** Lookups shared by the handlers; every one is scoped to the request's app. */
export interface GroupRow {
  group_id: number;
  app_id: string;
  name: string;
  description: string;
  avatar: string;
  ext: string;
  type: number;
  owner_id: number;
  status: number;
  member_invite: number;
  apply_approval: number;
  read_ack: number;
  history_visible: number;
  member_modify: number;
  ban_expire_time: number;
  capacity: number;
  created_at: number;
  updated_at: number;
}

export interface MemberRow {
  seq: number;
  group_id: number;
  user_id: number;
  role: number;
  display_name: string;
  ban_expire: number;
  msg_mute_mode: number;
  msg_push_mode: number;
  join_time: number;
}

export const Role = { MEMBER: 0, ADMIN: 1, OWNER: 2, /** app admin token without user_id */ APP: 3 } as const;

export function findUser(ctx: Ctx, userId: number): UserRow | undefined {
  return ctx.emu.store.users.byId(userId, ctx.app.appId) as UserRow | undefined;
}

export function mustUser(ctx: Ctx, userId: number): UserRow {
  return findUser(ctx, userId) ?? fail(10000);
}

/** The user a request acts as (user token, or admin + `user_id` header); it must exist (10000). */
export function actingUser(ctx: Ctx): UserRow {
  return mustUser(ctx, ctx.requireActor());
}

export function mustGroup(ctx: Ctx, groupId: number): GroupRow {
  const g = ctx.emu.store.groups.aliveGroup(groupId, ctx.app.appId) as GroupRow | undefined;
  return g ?? fail(20001);
}

export function member(ctx: Ctx, groupId: number, userId: number): MemberRow | undefined {
  return ctx.emu.store.groups.member(groupId, userId) as MemberRow | undefined;
}

/** The acting role in a group; an admin token without `user_id` acts with every permission. */
export function actingRole(ctx: Ctx, groupId: number): number | null {
  if (ctx.actor === null) return ctx.admin ? Role.APP : null;
  return member(ctx, groupId, ctx.actor)?.role ?? null;
}

export function requireMember(ctx: Ctx, groupId: number): number {
  const role = actingRole(ctx, groupId);
  return role ?? fail(20011);
}

export function requireAdmin(ctx: Ctx, groupId: number): number {
  const role = requireMember(ctx, groupId);
  return role >= Role.ADMIN ? role : fail(20012);
}

export function requireOwner(ctx: Ctx, groupId: number): number {
  const role = requireMember(ctx, groupId);
  return role >= Role.OWNER ? role : fail(20013);
}

export function memberCount(ctx: Ctx, groupId: number): number {
  return (
    ctx.emu.store.groups.countMembers(groupId) as {
      n: number;
    }
  ).n;
}

/** Groups the user joined, counted up to the app's `joinedGroups` limit (all a check needs). */
export function joinedCount(ctx: Ctx, userId: number): number {
  return (ctx.emu.store.groups.countJoined(userId, ctx.app.config.limits.joinedGroups) as { n: number }).n;
}

/**
 * Adds a member after checking the seed's limits: blacklisted (20018), kicked too often (20016),
 * group full (20010), user in too many groups (20009). Returns false if already a member.
 */
export function addMember(ctx: Ctx, group: GroupRow, userId: number, role: number = Role.MEMBER): boolean {
  if (member(ctx, group.group_id, userId)) return false;
  if (ctx.emu.store.groups.isBlocked(group.group_id, userId)) {
    fail(20018);
  }
  const kicks = ctx.emu.store.groups.kicks(group.group_id, userId) as { count: number } | undefined;
  if (kicks && kicks.count >= ctx.app.config.limits.kicks) fail(20016);
  if (memberCount(ctx, group.group_id) >= Math.min(group.capacity, ctx.app.config.limits.groupCapacity))
    fail(20010);
  if (joinedCount(ctx, userId) >= ctx.app.config.limits.joinedGroups) fail(20009);
  ctx.emu.store.groups.insertMember(group.group_id, userId, role, ctx.now);
  return true;
}

export function serializeGroup(ctx: Ctx, g: GroupRow): Record<string, unknown> {
  const self = ctx.actor === null ? undefined : member(ctx, g.group_id, ctx.actor);
  return {
    name: g.name,
    status: g.status,
    description: g.description,
    type: g.type,
    group_id: g.group_id,
    owner_id: g.owner_id,
    created_at: g.created_at,
    updated_at: g.updated_at,
    member_invite: g.member_invite === 1,
    apply_approval: g.apply_approval,
    read_ack: g.read_ack === 1,
    history_visible: g.history_visible === 1,
    member_modify: g.member_modify === 1,
    avatar: g.avatar,
    ext: g.ext,
    capacity: g.capacity,
    count: memberCount(ctx, g.group_id),
    ban_expire_time: g.ban_expire_time,
    msg_mute_mode: self?.msg_mute_mode ?? 0,
    msg_push_mode: self?.msg_push_mode ?? 0,
  };
}

/** Cursor paging over an increasing integer key: the cursor is the last key returned. */
export function pageOf<T>(
  rows: T[],
  limit: number,
  key: (row: T) => number,
): { items: T[]; cursor?: string } {
  if (rows.length > limit) {
    const items = rows.slice(0, limit);
    return { items, cursor: String(key(items[items.length - 1] as T)) };
  }
  return { items: rows };
}

/**
 * A paged answer over `rows` read with `limit + 1`: the first `limit` rows through `out`, and
 * `extra` plus a `cursor` when more remain.
 */
export function cursorPaged<T>(
  rows: T[],
  limit: number,
  key: (row: T) => number,
  out: (row: T) => unknown,
  extra: { version?: number } = {},
): Paged {
  const page = pageOf(rows, limit, key);
  return new Paged(
    page.items.map((row) => out(row)),
    page.cursor ? { ...extra, cursor: page.cursor } : extra,
  );
}
