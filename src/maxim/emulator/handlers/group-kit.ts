/** What the group route files share: per-user results, guards, group routes, memberships. */
import { createHmac } from "node:crypto";
import type { z } from "zod";
import type { GroupBoolValueBody, GroupStringValueBody, MaxImEndpoint } from "../../protocol.js";
import { type Ctx, fail, MaxImFault, type RouteDef, route } from "../context.js";
import {
  addMember,
  type GroupRow,
  type MemberRow,
  member,
  mustGroup,
  Role,
  requireAdmin,
  requireMember,
  requireOwner,
} from "../lookups.js";
import type { GroupColumn } from "../store/groups.js";

export const REQUEST_TTL_MS = 7 * 24 * 3600_000;

export type UserResult = { user_id: number; result: "success" | "fail"; reason?: string };
export const ok = (user_id: number, reason?: string): UserResult =>
  reason ? { result: "success", user_id, reason } : { result: "success", user_id };
export const no = (user_id: number, reason: string | number): UserResult => ({
  result: "fail",
  user_id,
  reason: String(reason),
});

/** Runs a per-user step; business errors become that user's `fail` entry. */
export function perUser(list: number[], step: (id: number) => UserResult): UserResult[] {
  return list.map((id) => {
    try {
      return step(id);
    } catch (err) {
      if (err instanceof MaxImFault) return no(id, err.code);
      throw err;
    }
  });
}

export function touch(ctx: Ctx, groupId: number): void {
  ctx.emu.store.groups.touch(ctx.now, groupId);
}

/** Checks the actor may act on the group (else throws its code) and returns the acting role. */
export type Guard = (ctx: Ctx, g: GroupRow) => number;

export const asMember: Guard = (ctx, g) => requireMember(ctx, g.group_id);
export const asAdmin: Guard = (ctx, g) => requireAdmin(ctx, g.group_id);
export const asOwner: Guard = (ctx, g) => requireOwner(ctx, g.group_id);
/** Info may be changed by admins, or by any member when `member_modify` is on. */
export const asModifier: Guard = (ctx, g) => {
  const role = requireMember(ctx, g.group_id);
  if (role < Role.ADMIN && g.member_modify !== 1) fail(20012);
  return role;
};
/** Invitations come from admins, or from any member when `member_invite` is on. */
export const asInviter: Guard = (ctx, g) => {
  const role = requireMember(ctx, g.group_id);
  if (role < Role.ADMIN && g.member_invite !== 1) fail(20012);
  return role;
};

/**
 * A route on one group, named by `group_id` in its query or body: the group must exist (20001),
 * then pass `guard`; `handle` gets the group and the acting role.
 */
export function groupRoute<E extends MaxImEndpoint<z.ZodType<{ group_id: number }>>>(def: {
  endpoint: E;
  guard: Guard;
  handle(ctx: Ctx, g: GroupRow, input: z.output<E["request"]>, role: number): unknown;
}): RouteDef {
  const run = (ctx: Ctx, input: z.output<E["request"]>) => {
    const g = mustGroup(ctx, input.group_id);
    return def.handle(ctx, g, input, def.guard(ctx, g));
  };
  return {
    endpoint: def.endpoint,
    handle: (ctx, q, b) => run(ctx, (def.endpoint.in === "query" ? q : b) as z.output<E["request"]>),
  };
}

/**
 * A group route over `user_list`: after the guard, `each(ctx, g, b, role)` gives the step run for
 * every user in one transaction (a business error is that user's `fail`); `touchGroup` then
 * marks the group updated in the same transaction.
 */
export function perUserRoute<
  E extends MaxImEndpoint<z.ZodType<{ group_id: number; user_list: number[] }>>,
>(def: {
  endpoint: E;
  guard: Guard;
  touchGroup?: boolean;
  each(ctx: Ctx, g: GroupRow, b: z.output<E["request"]>, role: number): (id: number) => UserResult;
}): RouteDef {
  return groupRoute({
    endpoint: def.endpoint,
    guard: def.guard,
    handle: (ctx, g, b, role) =>
      ctx.emu.db.transaction(() => {
        const out = perUser(b.user_list, def.each(ctx, g, b, role));
        if (def.touchGroup) touch(ctx, g.group_id);
        return out;
      })(),
  });
}

export function setColumn(
  column: GroupColumn,
  endpoint: MaxImEndpoint<typeof GroupStringValueBody | typeof GroupBoolValueBody>,
  admin: boolean,
): RouteDef {
  return groupRoute({
    endpoint,
    guard: admin ? asAdmin : asModifier,
    handle: (ctx, g, b) => {
      const value = typeof b.value === "boolean" ? (b.value ? 1 : 0) : b.value;
      ctx.emu.store.groups.setColumn(column, value, ctx.now, g.group_id);
      return true;
    },
  });
}

/** The actor's own membership of the group (20002 if none). */
export function ownMember(ctx: Ctx, g: GroupRow): MemberRow {
  return member(ctx, g.group_id, ctx.requireActor()) ?? fail(20002);
}

/**
 * `POST|PUT path` sets `column` of the actor's own membership of the body's group to `value(b)`,
 * which runs after the membership check and may fail with its own code.
 */
export function setOwnMember<T extends { group_id: number }>(
  endpoint: MaxImEndpoint<z.ZodType<T>>,
  column: "display_name" | "msg_push_mode" | "msg_mute_mode",
  value: (b: T) => string | number,
): RouteDef {
  return route({
    endpoint: endpoint as MaxImEndpoint<z.ZodType<T>> & { in: "body" },
    handle: (ctx, _q, b) => {
      const m = ownMember(ctx, mustGroup(ctx, b.group_id));
      ctx.emu.store.groups.setOwnColumn(column, value(b), m.seq);
      return true;
    },
  });
}

export const MISSING = { announcement: 20020, file: 20022 } as const;

/** `columns` of one of the group's announcements or shared files (20020 / 20022 if none). */
export function groupItem(
  ctx: Ctx,
  g: GroupRow,
  kind: keyof typeof MISSING,
  id: number,
  columns: "*" | "uploader",
): unknown {
  return ctx.emu.store.groups.item(kind, columns, id, g.group_id) ?? fail(MISSING[kind]);
}

/** Members under an admin may only change the files they uploaded. */
export function mayChangeFile(ctx: Ctx, role: number, uploader: number): boolean {
  return role >= Role.ADMIN || uploader === ctx.actor;
}

export function memberOut(m: MemberRow) {
  return {
    user_id: m.user_id,
    join_time: m.join_time,
    display_name: m.display_name,
    expired_time: m.ban_expire,
  };
}

export function qrSign(ctx: Ctx, payload: string): string {
  return createHmac("sha256", ctx.app.qrKey).update(payload).digest("base64url");
}

export interface RequestRow {
  id: number;
  group_id: number;
  user_id: number;
  inviter_id: number;
  reason: string | null;
  status: number;
  expired_time: number;
  updated_at: number;
}

export function join(ctx: Ctx, g: GroupRow, userId: number): void {
  if (!addMember(ctx, g, userId)) fail(20017);
  touch(ctx, g.group_id);
}
