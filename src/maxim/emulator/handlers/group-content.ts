/** Group content routes: announcements, shared files, invitation QR codes. */
import { timingSafeEqual } from "node:crypto";
import { MaxImEndpoints as E, LIMITS } from "../../protocol.js";
import { fail, type RouteDef, route } from "../context.js";
import { actingUser, mustGroup } from "../lookups.js";
import { asAdmin, asMember, groupItem, groupRoute, join, mayChangeFile, qrSign } from "./group-kit.js";

export const groupContentRoutes: RouteDef[] = [
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
      return ctx.emu.store.groups.announcements(g.group_id, LIMITS.groupItemList);
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
      return ctx.emu.store.groups.file(Number(r.lastInsertRowid));
    },
  }),
  groupRoute({
    endpoint: E.groupFiles,
    guard: asMember,
    handle: (ctx, g) => {
      return ctx.emu.store.groups.files(g.group_id, LIMITS.groupItemList);
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
