import { createHash, randomInt } from "node:crypto";
import type { AddressInfo } from "node:net";
import Busboy from "busboy";
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from "fastify";
import {
  type AppliedLimits,
  applyServerLimits,
  DEFAULT_SERVER_LIMITS,
  type ServerLimits,
} from "../../core/emulator/limits.js";
import { type Logger, silentLogger } from "../../core/log.js";
import { redactUrl } from "../../core/redact.js";
import type { Database } from "../../core/storage.js";
import { MSG_TYPE, Retcode } from "../protocol.js";
import { createAdmin, type WebQQAdmin } from "./admin.js";
import { registerChannelRoutes } from "./channel.js";
import { type Emu, faultBody, QQFault } from "./context.js";
import { broadcastStatus, newChannelState } from "./deliver.js";
import { Hub } from "./hub.js";
import { newLoginState, registerLoginRoutes } from "./login.js";
import { looksLikeMarkup, scriptJson } from "./media.js";
import { apiSession, fields } from "./request.js";
import { route } from "./routes.js";
import { accountByQq, qqOfUin } from "./store/directory.js";
import { insertFile } from "./store/messages.js";
import { SessionStore } from "./store/sessions.js";

export interface WebQQEmulatorOptions {
  db: Database;
  log?: Logger;
  /** Accepted for symmetry with the other emulators; pictures are kept in the store. */
  dataDir?: string;
  /** How long poll2 is held before 102 (default 30 s). */
  pollTimeoutMs?: number;
  /** Idle time after which a session answers 100012 (default 24 h). */
  sessionTtlMs?: number;
  now?: () => number;
  /**
   * How long a send is remembered for de-duplication (sender + clientid + msg_id + content),
   * by the injected clock (default 10 min).
   */
  dedupWindowMs?: number;
  /** How many sends per sender + clientid are remembered at most (default 10,000). */
  dedupMaxPerClient?: number;
  /**
   * Header / request / keep-alive / idle timeouts and connections per address (core
   * `applyServerLimits`, its defaults for what is omitted). The idle timeout is raised to at
   * least twice `pollTimeoutMs`, so a held poll2 is never cut.
   */
  serverLimits?: Partial<ServerLimits>;
  /** Items one session's poll queue holds at most (default 10,000); see docs/webqq.md. */
  maxQueue?: number;
}

export interface WebQQEmulator {
  app: FastifyInstance;
  /** The server limits in force (connections refused at the per-address cap). */
  limits: AppliedLimits;
  admin: WebQQAdmin;
  /** Every route the app serves (method + path), for checks against the endpoint table. */
  routes(): readonly { method: string; url: string }[];
  listen(port: number, host?: string): Promise<string>;
  close(): Promise<void>;
}

const BODY_LIMIT = 2 * 1024 * 1024;
const UIN_MIN = 3_000_000_000;
/** Sends are remembered this long for de-duplication (a client's retries take ~1 min at most). */
export const DEDUP_WINDOW_MS = 10 * 60_000;
export const DEDUP_MAX_PER_CLIENT = 10_000;
/** Items one session's poll queue holds at most. */
export const MAX_QUEUE = 10_000;

/**
 * The WebQQ emulator: every host's paths on one port. Business errors are HTTP 200 with the
 * platform's `retcode`; login steps answer the JS callbacks (`ptui_checkVC`, `ptuiCB`).
 */
export function createWebQQEmulator(options: WebQQEmulatorOptions): WebQQEmulator {
  const { db } = options;
  const log = options.log ?? silentLogger;
  let msgSeq = 10_000 + randomInt(10_000);
  const sessions = new SessionStore(db);
  const maxQueue = options.maxQueue ?? MAX_QUEUE;
  const hub = new Hub(sessions, maxQueue);
  // Sessions logged in before a restart carry on (same psessionid, vfwebqq and cookies).
  for (const s of sessions.load()) hub.add(s);
  const emu: Emu = {
    db,
    log,
    hub,
    sessions,
    now: options.now ?? Date.now,
    pollTimeoutMs: options.pollTimeoutMs ?? 30_000,
    sessionTtlMs: options.sessionTtlMs ?? 24 * 3600_000,
    dedup: {
      windowMs: options.dedupWindowMs ?? DEDUP_WINDOW_MS,
      maxPerClient: options.dedupMaxPerClient ?? DEDUP_MAX_PER_CLIENT,
    },
    maxQueue,
    pollFaults: [],
    sendFaults: [],
    closing: false,
    nextMsgId: () => ++msgSeq,
    account: (qq) => accountByQq(db, qq),
    uinFor(viewer, qq) {
      if (viewer === qq) return qq;
      return emu.account(qq)?.uin ?? qq;
    },
    qqOfUin(viewer, uin) {
      if (uin === viewer) return viewer;
      return qqOfUin(db, uin);
    },
    deliver(qq, make) {
      for (const s of hub.active(qq)) hub.push(s, make(s));
    },
  };
  const login = newLoginState();
  const channel = newChannelState();

  const app = Fastify({ logger: false, bodyLimit: BODY_LIMIT });
  // Bounded cost per connection (issue 12 item 8), before the app listens.
  const limits = applyServerLimits(app.server, {
    ...options.serverLimits,
    idleTimeoutMs: Math.max(
      options.serverLimits?.idleTimeoutMs ?? DEFAULT_SERVER_LIMITS.idleTimeoutMs,
      2 * emu.pollTimeoutMs,
    ),
  });
  const routes: { method: string; url: string }[] = [];
  app.addHook("onRoute", (r) => {
    for (const method of [r.method].flat()) if (method !== "HEAD") routes.push({ method, url: r.url });
  });
  // Held polls would keep close() waiting for their time-out: answer them (102) first, so
  // closing the bare app (as the sandbox runner does) is as quick as close().
  app.addHook("preClose", (done) => {
    emu.closing = true;
    hub.closeAll();
    done();
  });
  app.removeAllContentTypeParsers();
  app.addContentTypeParser("multipart/form-data", { parseAs: "buffer" }, (_req, body, done) =>
    done(null, body),
  );
  // Forms (and anything else, since old clients send "Content-Type: utf-8") are read as urlencoded.
  app.addContentTypeParser("*", { parseAs: "string" }, (_req, body, done) => {
    const text = typeof body === "string" ? body : body.toString("utf8");
    const out: Record<string, string> = {};
    try {
      for (const [k, v] of new URLSearchParams(text)) out[k] = v;
    } catch {
      // URLSearchParams never throws on strings; kept for safety against future changes.
    }
    done(null, out);
  });

  app.setErrorHandler((err, req, reply) => {
    if (err instanceof QQFault) return reply.code(200).send(faultBody(err));
    const status = (err as { statusCode?: number }).statusCode ?? 500;
    if (status >= 500) {
      log.error({ err, url: redactUrl(req.url) }, "WebQQ emulator error");
      return reply.code(500).send({ retcode: 100000, errmsg: "internal error" });
    }
    return reply
      .code(200)
      .send({ retcode: Retcode.BAD_REQUEST, errmsg: status === 413 ? "body too large" : "" });
  });
  app.setNotFoundHandler((_req, reply) =>
    reply.code(404).send({ retcode: Retcode.BAD_REQUEST, errmsg: "no such path" }),
  );

  registerLoginRoutes(app, emu, login, {
    onLogin2(s, previous) {
      for (const old of previous) {
        if (old.clientid === s.clientid) {
          // A relink of the same client: its undelivered items move to the new session.
          hub.moveQueue(old, s);
          hub.remove(old);
        } else {
          old.state = "kicked";
          sessions.setState(old.psid, "kicked");
          hub.push(
            old,
            {
              poll_type: "kick_message",
              value: {
                reply_ip: 0,
                msg_type: MSG_TYPE.kick_message,
                msg_id: emu.nextMsgId(),
                reason: "您的帐号在另一地点登录，您已被迫下线。",
                msg_id2: emu.nextMsgId(),
                from_uin: 10000,
                show_reason: 1,
                to_uin: old.qq,
              },
            },
            true,
          );
        }
      }
      sessions.closeOthers(s.qq, s.psid);
      if (previous.length === 0) broadcastStatus(emu, s.qq, s.status);
    },
  });
  registerChannelRoutes(app, emu, login, channel);

  const upload = async (req: FastifyRequest) => {
    const body = req.body;
    const ct = req.headers["content-type"] ?? "";
    if (!(body instanceof Buffer) || !ct.startsWith("multipart/form-data"))
      throw new QQFault(Retcode.BAD_REQUEST);
    const form: Record<string, string> = {};
    let file: Buffer | undefined;
    let fileName = "";
    await new Promise<void>((resolve, reject) => {
      let bb: Busboy.Busboy;
      try {
        bb = Busboy({ headers: req.headers, limits: { files: 1, fileSize: BODY_LIMIT, fields: 50 } });
      } catch {
        reject(new QQFault(Retcode.BAD_REQUEST));
        return;
      }
      bb.on("field", (k, v) => {
        form[k] = v;
      });
      bb.on("file", (_name, stream, info) => {
        const parts: Buffer[] = [];
        fileName = info.filename ?? "";
        stream.on("data", (c: Buffer) => parts.push(c));
        stream.on("end", () => {
          file = Buffer.concat(parts);
        });
      });
      bb.on("error", () => reject(new QQFault(Retcode.BAD_REQUEST)));
      bb.on("close", () => resolve());
      bb.end(body);
    });
    if (!file || file.length === 0) throw new QQFault(Retcode.BAD_REQUEST);
    // Pictures only: markup (HTML, SVG…) is refused; other non-images are served as attachments.
    if (looksLikeMarkup(file)) throw new QQFault(Retcode.BAD_REQUEST);
    const merged = { ...fields(req), ...form };
    return { form: merged, file, fileName };
  };

  const ext = (name: string) => {
    const m = /\.([A-Za-z0-9]{1,5})$/.exec(name);
    return m ? (m[1] as string) : "jpg";
  };

  route(app, "cfaceUpload", async (req, reply: FastifyReply) => {
    const { form, file, fileName } = await upload(req);
    const s = apiSession(emu, req, form.vfwebqq);
    const md5 = createHash("md5").update(file).digest("hex").toUpperCase();
    const name = `${md5}.${ext(fileName)}`;
    const fresh = insertFile(db, { name, kind: "cface", owner: s.qq, data: file, now: emu.now() });
    const cb =
      form.f && /^[A-Za-z0-9_.]{1,80}$/.test(form.f) ? form.f : "EQQ.Model.ChatMsg.callbackSendPicGroup";
    const payload = fresh ? { ret: 0, msg: name } : { ret: 4, msg: `${name} -6102` };
    return reply
      .type("text/html; charset=utf-8")
      .header("x-content-type-options", "nosniff")
      .send(
        `<head><script type="text/javascript">document.domain='qq.com';parent.${cb}(${scriptJson(payload)});</script></head><body></body>`,
      );
  });

  route(app, "offpicUpload", async (req, reply: FastifyReply) => {
    const { form, file, fileName } = await upload(req);
    const s = apiSession(emu, req, form.vfwebqq);
    const md5 = createHash("md5").update(file).digest("hex");
    const filePath = `/${randomInt(1e9)}-${md5}`;
    insertFile(db, { name: filePath, kind: "offpic", owner: s.qq, data: file, now: emu.now() });
    const payload = {
      retcode: 0,
      result: "OK",
      progress: 100,
      filesize: file.length,
      fileid: 1,
      filename: fileName || `${md5}.${ext(fileName)}`,
      filepath: filePath,
    };
    return reply
      .type("text/html; charset=utf-8")
      .header("x-content-type-options", "nosniff")
      .send(
        `<head><script type="text/javascript">document.domain='qq.com';parent.EQQ.Model.ChatMsg.callbackSendPic(${scriptJson(payload)});</script></head><body></body>`,
      );
  });

  const admin = createAdmin(emu, login, UIN_MIN);

  return {
    app,
    admin,
    limits,
    routes: () => routes,
    async listen(port, host = "127.0.0.1") {
      await app.listen({ port, host });
      const address = app.server.address() as AddressInfo;
      return `http://${host.includes(":") ? `[${host}]` : host}:${address.port}`;
    },
    async close() {
      await app.close();
    },
  };
}
