import { MaxImEndpoints as E } from "../../protocol.js";
import { fail, type RouteDef, route } from "../context.js";
import {
  actingRole,
  actingUser,
  addMember,
  cursorPaged,
  type MemberRow,
  member,
  mustGroup,
  mustUser,
  Role,
  serializeGroup,
} from "../lookups.js";
import { groupContentRoutes } from "./group-content.js";

import {
  asAdmin,
  asMember,
  asOwner,
  groupRoute,
  memberOut,
  ok,
  perUserRoute,
  setColumn,
  setOwnMember,
} from "./group-kit.js";
import { groupMemberRoutes } from "./group-members.js";

export const groupCoreRoutes: RouteDef[] = [
  route({
    endpoint: E.createGroup,
    handle: (ctx, _q, b) => {
      const owner = actingUser(ctx).user_id;
      const { limits } = ctx.app.config;
      const { emu, app } = ctx;
      const alive = emu.store.groups.countAlive(app.appId, limits.appGroups) as {
        n: number;
      };
      if (alive.n >= limits.appGroups) fail(20007);
      const owned = emu.store.groups.countOwned(owner, limits.userGroups) as {
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
];

/** Every group route, in the order they are registered. */
export const groupRoutes: RouteDef[] = [...groupCoreRoutes, ...groupMemberRoutes, ...groupContentRoutes];
