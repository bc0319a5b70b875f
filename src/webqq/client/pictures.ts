/** Pictures: group (cface) and buddy (offline) uploads and downloads, and the gface signature. */
import type { CallOptions } from "../../core/call.js";
import { ApiError } from "../../core/errors.js";
import { type GfaceSigResult, REFERER } from "../protocol.js";
import { type Ctx, retcodeError } from "./transport.js";

export async function gfaceSig(ctx: Ctx, options: CallOptions = {}): Promise<GfaceSigResult> {
  ctx.check("gfaceSig", {});
  return ctx.api("gfaceSig", { query: ctx.ids(), referer: REFERER.d, ...options });
}

/**
 * Posts a picture-upload form; the upload hosts answer an HTML page that calls back with a
 * JSON object (`…callback({…})`), which is returned parsed when present.
 */
async function postUploadForm(
  ctx: Ctx,
  endpoint: "cfaceUpload" | "offpicUpload",
  form: FormData,
  options: CallOptions,
): Promise<{ html: string; result: unknown }> {
  const html = String(
    await ctx.raw(endpoint, {
      method: "POST",
      query: { time: Date.now() },
      body: form,
      type: "text",
      ...options,
      idempotent: true,
    }),
  );
  const m = /\((\{.*\})\)/.exec(html);
  let result: unknown;
  try {
    result = m ? JSON.parse(m[1] as string) : undefined;
  } catch {
    result = undefined;
  }
  return { html, result };
}

function plainEnvelope(text: string): { retcode?: number } | undefined {
  try {
    return JSON.parse(text) as { retcode?: number };
  } catch {
    return undefined;
  }
}

/** Uploads a group/discussion picture; returns the name to put in a `cface` item. */
export async function uploadGroupPicture(
  ctx: Ctx,
  bytes: Uint8Array,
  fileName: string,
  options: CallOptions = {},
): Promise<{ name: string }> {
  const s = ctx.need();
  ctx.check("cfaceUpload", { vfwebqq: s.vfwebqq, fileName, bytes });
  const fd = new FormData();
  fd.set("from", "control");
  fd.set("f", "EQQ.Model.ChatMsg.callbackSendPicGroup");
  fd.set("vfwebqq", s.vfwebqq);
  fd.set("custom_face", new Blob([bytes as Uint8Array<ArrayBuffer>]), fileName);
  fd.set("fileid", "1");
  const { html, result } = await postUploadForm(ctx, "cfaceUpload", fd, options);
  const j = result as { ret?: number; msg?: string } | undefined;
  if (!j || (j.ret !== 0 && j.ret !== 4) || typeof j.msg !== "string") {
    const env = plainEnvelope(html);
    if (env?.retcode) throw retcodeError(env.retcode, "cfaceUpload");
    throw new ApiError("cface_upload failed", { platform: "webqq", code: j?.ret ?? "bad_response" });
  }
  return { name: j.msg.split(" ")[0] as string };
}

/** Uploads a buddy (offline) picture; returns what an `offpic` item needs. */
export async function uploadOffpic(
  ctx: Ctx,
  bytes: Uint8Array,
  fileName: string,
  peerUin: number,
  options: CallOptions = {},
) {
  const s = ctx.need();
  ctx.check("offpicUpload", { vfwebqq: s.vfwebqq, fileName, bytes, peeruin: peerUin });
  const fd = new FormData();
  fd.set("callback", "parent.EQQ.Model.ChatMsg.callbackSendPic");
  fd.set("locallangid", "2052");
  fd.set("clientversion", "1409");
  fd.set("uin", String(s.qq));
  fd.set("appid", "1002101");
  fd.set("peeruin", String(peerUin));
  fd.set("file", new Blob([bytes as Uint8Array<ArrayBuffer>]), fileName);
  fd.set("fileid", "1");
  fd.set("vfwebqq", s.vfwebqq);
  fd.set("senderviplevel", "0");
  fd.set("reciverviplevel", "0");
  const { html, result } = await postUploadForm(ctx, "offpicUpload", fd, options);
  const j = result as
    | { retcode?: number; filepath?: string; filename?: string; filesize?: number }
    | undefined;
  if (!j) {
    // A refusal comes as a plain `{retcode, errmsg}` envelope rather than a callback page.
    const env = plainEnvelope(html);
    if (env?.retcode) throw retcodeError(env.retcode, "offpicUpload");
  }
  if (j?.retcode !== 0 || !j.filepath)
    throw new ApiError("upload_offline_pic failed", {
      platform: "webqq",
      code: j?.retcode ?? "bad_response",
    });
  return { filePath: j.filepath, name: j.filename ?? fileName, size: j.filesize ?? bytes.length };
}

export async function offpic(
  ctx: Ctx,
  filePath: string,
  fromUin: number,
  options: CallOptions = {},
): Promise<Uint8Array> {
  ctx.check("offpic", { file_path: filePath, f_uin: fromUin });
  return (await ctx.raw("offpic", {
    query: ctx.ids({ file_path: filePath, f_uin: fromUin }),
    referer: REFERER.d,
    type: "bytes",
    ...options,
  })) as Uint8Array;
}

export async function groupPicture(
  ctx: Ctx,
  name: string,
  gid: number,
  fromUin: number,
  options: CallOptions = {},
): Promise<Uint8Array> {
  const s = ctx.need();
  ctx.check("groupPic", { gid, uin: fromUin, pic: name, vfwebqq: s.vfwebqq });
  return (await ctx.raw("groupPic", {
    query: {
      type: 0,
      gid,
      uin: fromUin,
      rip: "",
      rport: "",
      fid: 0,
      pic: name,
      vfwebqq: s.vfwebqq,
      t: Date.now(),
    },
    type: "bytes",
    ...options,
  })) as Uint8Array;
}
