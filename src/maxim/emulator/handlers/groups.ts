import { createHmac, timingSafeEqual } from "node:crypto";
import type { z } from "zod";
import {
  MaxImEndpoints as E,
  type GroupBoolValueBody,
  type GroupStringValueBody,
  type MaxImEndpoint,
} from "../../protocol.js";
import { type Ctx, fail, MaxImFault, Paged, type RouteDef, route } from "../context.js";
import {
  actingRole,
  actingUser,
  addMember,
  cursorPaged,
  type GroupRow,
  type MemberRow,
  member,
  mustGroup,
  mustUser,
  pageOf,
  Role,
  requireAdmin,
  requireMember,
  requireOwner,
  serializeGroup,
} from "../lookups.js";
import type { GroupColumn } from "../store/groups.js";
import { settingsOf } from "./users.js";

const REQUEST_TTL_MS = 7 * 24 * 3600_000;

type UserResult = { user_id: number; result: "success" | "fail"; reason?: string };
const ok = (user_id: number, reason?: string): UserResult =>
  reason ? { result: "success", user_id, reason } : { result: "success", user_id };
const no = (user_id: number, reason: string | number): UserResult => ({
  result: "fail",
  user_id,
  reason: String(reason),
});

/** Runs a per-user step; business errors become that user's `fail` entry. */
function perUser(list: number[], step: (id: number) => UserResult): UserResult[] {
  return list.map((id) => {
    try {
      return step(id);
    } catch (err) {
      if (err instanceof MaxImFault) return no(id, err.code);
      throw err;
    }
  });
}

function touch(ctx: Ctx, groupId: number): void {
  ctx.emu.store.groups.touch(ctx.now, groupId);
}

/** Checks the actor may act on the group (else throws its code) and returns the acting role. */
type Guard = (ctx: Ctx, g: GroupRow) => number;

const asMember: Guard = (ctx, g) => requireMember(ctx, g.group_id);
const asAdmin: Guard = (ctx, g) => requireAdmin(ctx, g.group_id);
const asOwner: Guard = (ctx, g) => requireOwner(ctx, g.group_id);
/** Info may be changed by admins, or by any member when `member_modify` is on. */
const asModifier: Guard = (ctx, g) => {
  const role = requireMember(ctx, g.group_id);
  if (role < Role.ADMIN && g.member_modify !== 1) fail(20012);
  return role;
};
/** Invitations come from admins, or from any member when `member_invite` is on. */
const asInviter: Guard = (ctx, g) => {
  const role = requireMember(ctx, g.group_id);
  if (role < Role.ADMIN && g.member_invite !== 1) fail(20012);
  return role;
};

/**
 * A route on one group, named by `group_id` in its query or body: the group must exist (20001),
 * then pass `guard`; `handle` gets the group and the acting role.
 */
function groupRoute<E extends MaxImEndpoint<z.ZodType<{ group_id: number }>>>(def: {
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
function perUserRoute<E extends MaxImEndpoint<z.ZodType<{ group_id: number; user_list: number[] }>>>(def: {
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

function setColumn(
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
function ownMember(ctx: Ctx, g: GroupRow): MemberRow {
  return member(ctx, g.group_id, ctx.requireActor()) ?? fail(20002);
}

/**
 * `POST|PUT path` sets `column` of the actor's own membership of the body's group to `value(b)`,
 * which runs after the membership check and may fail with its own code.
 */
function setOwnMember<T extends { group_id: number }>(
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

const MISSING = { announcement: 20020, file: 20022 } as const;

/** `columns` of one of the group's announcements or shared files (20020 / 20022 if none). */
function groupItem(
  ctx: Ctx,
  g: GroupRow,
  kind: keyof typeof MISSING,
  id: number,
  columns: "*" | "uploader",
): unknown {
  return ctx.emu.store.groups.item(kind, columns, id, g.group_id) ?? fail(MISSING[kind]);
}

/** Members under an admin may only change the files they uploaded. */
function mayChangeFile(ctx: Ctx, role: number, uploader: number): boolean {
  return role >= Role.ADMIN || uploader === ctx.actor;
}

function memberOut(m: MemberRow) {
  return {
    user_id: m.user_id,
    join_time: m.join_time,
    display_name: m.display_name,
    expired_time: m.ban_expire,
  };
}

function qrSign(ctx: Ctx, payload: string): string {
  return createHmac("sha256", ctx.app.qrKey).update(payload).digest("base64url");
}

interface RequestRow {
  id: number;
  group_id: number;
  user_id: number;
  inviter_id: number;
  reason: string | null;
  status: number;
  expired_time: number;
  updated_at: number;
}

function join(ctx: Ctx, g: GroupRow, userId: number): void {
  if (!addMember(ctx, g, userId)) fail(20017);
  touch(ctx, g.group_id);
}

export const groupRoutes: RouteDef[] = [
  route({
    endpoint: E.createGroup,
    handle: (ctx, _q, b) => {
      const owner = actingUser(ctx).user_id;
      const { limits } = ctx.app.config;
      const { emu, app } = ctx;
      const alive = emu.store.groups.countAlive(app.appId) as {
        n: number;
      };
      if (alive.n >= limits.appGroups) fail(20007);
      const owned = emu.store.groups.countOwned(owner) as {
        n: number;
      };
      if (owned.n >= limits.userGroups) fail(20008);
      for (const id of b.user_list ?? []) mustUser(ctx, id);
      return emu.db.transaction(() => {
        const groupId = emu.nextId("group");
        emu.store.groups.insertGroup(
          groupId,
          app.appId,
          b.name,
          b.description ?? "",
          b.avatar ?? "",
          b.type ?? 0,
          owner,
          limits.groupCapacity,
          ctx.now,
          ctx.now,
        );
        const g = mustGroup(ctx, groupId);
        addMember(ctx, g, owner, Role.OWNER);
        for (const id of b.user_list ?? []) if (id !== owner) addMember(ctx, g, id);
        const out = serializeGroup(ctx, g);
        return {
          name: out.name,
          status: out.status,
          description: out.description,
          type: out.type,
          group_id: out.group_id,
          owner_id: out.owner_id,
          created_at: out.created_at,
          updated_at: out.updated_at,
          member_invite: out.member_invite,
          apply_approval: out.apply_approval,
          read_ack: out.read_ack,
          history_visible: out.history_visible,
          member_modify: out.member_modify,
        };
      })();
    },
  }),
  groupRoute({
    endpoint: E.destroyGroup,
    guard: asOwner,
    handle: (ctx, g) => {
      ctx.emu.db.transaction(() => {
        ctx.emu.store.groups.dissolve(ctx.now, g.group_id);
        ctx.emu.store.groups.deleteAllMembers(g.group_id);
      })();
      return true;
    },
  }),
  route({
    endpoint: E.groupInfo,
    handle: (ctx, q) => serializeGroup(ctx, mustGroup(ctx, q.group_id)),
  }),
  route({
    endpoint: E.groupSettings,
    handle: (ctx, q) => serializeGroup(ctx, mustGroup(ctx, q.group_id)),
  }),
  route({
    endpoint: E.groupsInfo,
    handle: (ctx, _q, b) =>
      b.group_list.flatMap((id) => {
        try {
          const g = serializeGroup(ctx, mustGroup(ctx, id));
          return [{ ...g, owner: g.owner_id }];
        } catch {
          return [];
        }
      }),
  }),
  setColumn("name", E.groupName, false),
  setColumn("description", E.groupDescription, false),
  setColumn("avatar", E.groupAvatar, false),
  setColumn("ext", E.groupExt, false),
  setColumn("member_invite", E.allowMemberInvitation, true),
  setColumn("member_modify", E.allowMemberModify, true),
  setColumn("read_ack", E.enableReadAck, true),
  setColumn("history_visible", E.historyVisible, true),
  groupRoute({
    endpoint: E.applyApproval,
    guard: asAdmin,
    handle: (ctx, g, b) => {
      ctx.emu.store.groups.setApplyApproval(b.apply_approval, ctx.now, g.group_id);
      return true;
    },
  }),
  groupRoute({
    endpoint: E.banAll,
    guard: asAdmin,
    handle: (ctx, g, b) => {
      const until = b.duration < 0 ? -1 : Math.floor(ctx.now / 1000) + b.duration * 60;
      ctx.emu.store.groups.setBanAll(until, g.group_id);
      return { ban_expire_time: until };
    },
  }),
  groupRoute({
    endpoint: E.unbanAll,
    guard: asAdmin,
    handle: (ctx, g) => {
      ctx.emu.store.groups.clearBanAll(g.group_id);
      return true;
    },
  }),
  groupRoute({
    endpoint: E.transferGroup,
    guard: asOwner,
    handle: (ctx, g, b) => {
      if (!member(ctx, g.group_id, b.new_owner)) fail(20005);
      ctx.emu.db.transaction(() => {
        ctx.emu.store.groups.demoteOwner(g.group_id, g.owner_id);
        ctx.emu.store.groups.promoteOwner(g.group_id, b.new_owner);
        ctx.emu.store.groups.setOwner(b.new_owner, ctx.now, g.group_id);
      })();
      return ok(b.new_owner);
    },
  }),
  perUserRoute({
    endpoint: E.addGroupAdmins,
    guard: asOwner,
    each: (ctx, g) => (id) => {
      const m = member(ctx, g.group_id, id) ?? fail(20002);
      if (m.role === Role.MEMBER) {
        ctx.emu.store.groups.makeAdmin(m.seq);
      }
      return ok(id);
    },
  }),
  perUserRoute({
    endpoint: E.removeGroupAdmins,
    guard: asOwner,
    each: (ctx, g) => (id) => {
      const m = member(ctx, g.group_id, id) ?? fail(20002);
      if (m.role === Role.ADMIN) ctx.emu.store.groups.makeMember(m.seq);
      return ok(id);
    },
  }),
  groupRoute({
    endpoint: E.groupAdmins,
    guard: asMember,
    handle: (ctx, g) => (ctx.emu.store.groups.admins(g.group_id) as MemberRow[]).map(memberOut),
  }),
  groupRoute({
    endpoint: E.members,
    // Listing members is for members: a stranger gets 20002, not requireMember's 20011.
    guard: (ctx, g) => actingRole(ctx, g.group_id) ?? fail(20002),
    handle: (ctx, g, q) => {
      const limit = q.limit ?? 1000;
      const rows = ctx.emu.store.groups.membersAfter(
        g.group_id,
        Number(q.cursor ?? 0),
        limit + 1,
      ) as MemberRow[];
      return cursorPaged(
        rows,
        limit,
        (r) => r.seq,
        (m) => ({ user_id: m.user_id, join_time: m.join_time }),
        { version: g.updated_at },
      );
    },
  }),
  groupRoute({
    endpoint: E.memberDisplayNames,
    guard: asMember,
    handle: (ctx, g, b) => {
      return b.user_list.flatMap((id) => {
        const m = member(ctx, g.group_id, id);
        return m ? [memberOut(m)] : [];
      });
    },
  }),
  setOwnMember(E.displayName, "display_name", (b) => b.value),
  route({
    endpoint: E.joinedGroups,
    handle: (ctx) => {
      const me = actingUser(ctx).user_id;
      return (
        ctx.emu.store.groups.joinedGroupIds(me) as {
          group_id: number;
        }[]
      ).map((r) => r.group_id);
    },
  }),
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
    handle: (ctx, g) => {
      const rows = ctx.emu.store.groups.blocks(g.group_id) as {
        group_id: number;
        user_id: number;
        created_at: number;
      }[];
      return new Paged(
        rows.map((r) => ({ group_id: r.group_id, user_id: r.user_id, created_at: String(r.created_at) })),
        { total: rows.length },
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
  groupRoute({
    endpoint: E.createAnnouncement,
    guard: asAdmin,
    handle: (ctx, g, b) => {
      if (!ctx.app.config.announcements) fail(20021);
      const author = ctx.actor ?? g.owner_id;
      const r = ctx.emu.store.groups.insertAnnouncement(g.group_id, author, b.title, b.content, ctx.now);
      return {
        id: Number(r.lastInsertRowid),
        group_id: g.group_id,
        author,
        title: b.title,
        content: b.content,
        created_at: ctx.now,
      };
    },
  }),
  groupRoute({
    endpoint: E.announcement,
    guard: asMember,
    handle: (ctx, g, q) => groupItem(ctx, g, "announcement", q.announcement_id, "*"),
  }),
  groupRoute({
    endpoint: E.lastAnnouncement,
    guard: asMember,
    handle: (ctx, g) => {
      return ctx.emu.store.groups.lastAnnouncement(g.group_id) ?? fail(20020);
    },
  }),
  groupRoute({
    endpoint: E.announcements,
    guard: asMember,
    handle: (ctx, g) => {
      return ctx.emu.store.groups.announcements(g.group_id);
    },
  }),
  groupRoute({
    endpoint: E.deleteAnnouncement,
    guard: asAdmin,
    handle: (ctx, g, q) => {
      const r = ctx.emu.store.groups.deleteAnnouncement(q.announcement_id, g.group_id);
      if (!r.changes) fail(20020);
      return true;
    },
  }),
  // ---- shared files
  groupRoute({
    endpoint: E.uploadGroupFile,
    guard: asMember,
    handle: (ctx, g, b) => {
      const uploader = ctx.actor ?? g.owner_id;
      const r = ctx.emu.store.groups.insertFile(
        g.group_id,
        uploader,
        b.name,
        b.size,
        b.type ?? "",
        b.url,
        ctx.now,
        ctx.now,
      );
      return ctx.emu.store.groups.file(r.lastInsertRowid);
    },
  }),
  groupRoute({
    endpoint: E.groupFiles,
    guard: asMember,
    handle: (ctx, g) => {
      return ctx.emu.store.groups.files(g.group_id);
    },
  }),
  groupRoute({
    endpoint: E.groupFile,
    guard: asMember,
    handle: (ctx, g, q) => groupItem(ctx, g, "file", q.file_id, "*"),
  }),
  groupRoute({
    endpoint: E.deleteGroupFiles,
    guard: asMember,
    handle: (ctx, g, b, role) => {
      return ctx.emu.db.transaction(() =>
        b.file_list.map((fileId) => {
          const f = ctx.emu.store.groups.fileUploader(fileId, g.group_id) as { uploader: number } | undefined;
          if (!f) return { file_id: fileId, result: "fail", reason: "20022" };
          if (!mayChangeFile(ctx, role, f.uploader))
            return { file_id: fileId, result: "fail", reason: "20023" };
          ctx.emu.store.groups.deleteFile(fileId);
          return { file_id: fileId, result: "success" };
        }),
      )();
    },
  }),
  groupRoute({
    endpoint: E.renameGroupFile,
    guard: asMember,
    handle: (ctx, g, b, role) => {
      const f = groupItem(ctx, g, "file", b.file_id, "uploader") as { uploader: number };
      if (!mayChangeFile(ctx, role, f.uploader)) fail(20023);
      ctx.emu.store.groups.renameFile(b.name, ctx.now, b.file_id);
      return true;
    },
  }),
  // ---- QR invitations
  groupRoute({
    endpoint: E.groupQrCode,
    guard: asMember,
    handle: (ctx, g) => {
      const expireAt = ctx.now + ctx.app.config.qrTtlMs;
      const payload = `${g.group_id}.${expireAt}`;
      return { qr_info: `${payload}.${qrSign(ctx, payload)}`, create_at: ctx.now, expire_at: expireAt };
    },
  }),
  route({
    endpoint: E.joinByQrCode,
    handle: (ctx, _q, b) => {
      const me = actingUser(ctx).user_id;
      const m = /^([0-9]{1,16})\.([0-9]{1,16})\.([A-Za-z0-9_-]{43})$/.exec(b.qr_info) ?? fail(20024);
      const payload = `${m[1]}.${m[2]}`;
      const want = Buffer.from(qrSign(ctx, payload));
      const got = Buffer.from(m[3] as string);
      if (want.length !== got.length || !timingSafeEqual(want, got)) fail(20024);
      if (Number(m[2]) <= ctx.now) fail(20025);
      const g = mustGroup(ctx, Number(m[1]));
      ctx.emu.db.transaction(() => join(ctx, g, me))();
      return true;
    },
  }),
];
