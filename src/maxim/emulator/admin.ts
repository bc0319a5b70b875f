/** The emulator's in-process admin object: apps, licenses, `fail next` faults, what was sent. */
import { EXAMPLE_APP_ID } from "../protocol.js";
import {
  type AppConfig,
  type AppRecord,
  DEFAULT_APP_CONFIG,
  type Emu,
  type FaultRule,
  fail,
  hashSecret,
  type License,
  newToken,
} from "./context.js";
import { hashPassword } from "./passwords.js";

/** One device a push reached (or would have, see `suppressed`). */
export interface PushRecipient {
  userId: number;
  pushToken: string;
  alias: string | null;
  deviceSn: number | null;
  /** Why it was not delivered: the user turned push off, is in its no-push hours, or is disabled. */
  reason?: "no_push" | "no_push_hours" | "disabled";
}

export interface PushRecord {
  id: number;
  appId: string;
  audience: unknown;
  message: unknown;
  /** Devices the audience resolved to and that were notified. */
  recipients: PushRecipient[];
  /** Devices the audience matched but that were not notified. */
  suppressed: PushRecipient[];
  /** Distinct users of `recipients`. */
  users: number[];
  createdAt: number;
}

export interface MessageRecord {
  msgId: number;
  appId: string;
  from: number;
  to: number;
  toType: number;
  contentType: number;
  content: string;
  attachment: string | null;
  ext: string | null;
  config: string | null;
  recalled: boolean;
  /** `message` from `/message/send`, `notify` from `/message/notify` (system notification). */
  kind: "message" | "notify";
  createdAt: number;
}

export interface AppOptions {
  /** Admin token to accept (default: a fresh random one). */
  adminToken?: string;
  config?: Partial<Omit<AppConfig, "limits">> & { limits?: Partial<AppConfig["limits"]> };
}

export interface MaxImAdmin {
  /** Creates (or resets) an app; its admin token is `options.adminToken` or a fresh one. */
  createApp(appId: string, options?: AppOptions): { appId: string; adminToken: string };
  /**
   * An admin token for `appId`: creates the app if it is new, else adds one more token and keeps
   * the existing ones working (the default app keeps the seed's example token).
   */
  issueAdminToken(appId: string): { appId: string; adminToken: string };
  /** Accepts `adminToken` for `appId` too (kept next to the existing ones). */
  addAdminToken(appId: string, adminToken: string): void;
  /** Stops accepting an extra admin token (the main one stays). */
  removeAdminToken(adminToken: string): void;
  hasApp(appId: string): boolean;
  configureApp(appId: string, config: AppOptions["config"]): void;
  setLicense(appId: string, license: License): void;
  /** The next `times` requests (optionally only to `path`) answer `code`. */
  failNext(code: number, options?: { path?: string; times?: number }): void;
  clearFaults(): void;
  pushes(appId?: string): PushRecord[];
  messages(appId?: string): MessageRecord[];
}

export function mergeConfig(base: AppConfig, patch: AppOptions["config"] = {}): AppConfig {
  return { ...base, ...patch, limits: { ...base.limits, ...(patch.limits ?? {}) } };
}

/** The app's record, cached until an admin call changes it. */
export function loadApp(emu: Emu, appId: string): AppRecord | undefined {
  const cached = emu.apps.get(appId);
  if (cached) return cached;
  const row = emu.store.apps.find(appId);
  if (!row) return undefined;
  const rec: AppRecord = {
    appId: row.app_id,
    adminTokenHash: row.admin_token_hash,
    license: row.license as License,
    config: mergeConfig(DEFAULT_APP_CONFIG, JSON.parse(row.config) as AppOptions["config"]),
    qrKey: hashSecret(`qr:${row.admin_token_hash}`),
  };
  emu.apps.set(appId, rec);
  return rec;
}

/**
 * The seed's example users (`a` 2199040544848, `b` 2199040544992, password `asd`) and id
 * sequences moved so the example registration gets 2302128618880 and the example group
 * 2306414607729.
 */
export function seedExampleData(emu: Emu): void {
  const now = emu.now();
  emu.db.transaction(() => {
    for (const [id, name] of [
      [2_199_040_544_848, "a"],
      [2_199_040_544_992, "b"],
    ] as const) {
      emu.store.users.insertIfAbsent(id, EXAMPLE_APP_ID, name, hashPassword("asd"), now);
    }
    emu.store.apps.raiseSequence("user", 2_302_128_618_879);
    emu.store.apps.raiseSequence("group", 2_306_414_607_728);
  })();
}

export function createAdmin(emu: Emu): MaxImAdmin {
  const admin: MaxImAdmin = {
    createApp(appId, opts = {}) {
      if (!/^[A-Za-z0-9_-]{1,64}$/.test(appId)) throw new Error("appId must be 1-64 of [A-Za-z0-9_-]");
      const adminToken = opts.adminToken ?? newToken();
      const config = mergeConfig(DEFAULT_APP_CONFIG, opts.config);
      emu.store.apps.upsert(appId, hashSecret(adminToken), JSON.stringify(config), emu.now());
      emu.apps.delete(appId);
      return { appId, adminToken };
    },
    issueAdminToken(appId) {
      if (!loadApp(emu, appId)) return admin.createApp(appId);
      const adminToken = newToken();
      emu.store.apps.addAdminToken(hashSecret(adminToken), appId, emu.now());
      return { appId, adminToken };
    },
    addAdminToken(appId, adminToken) {
      const app = loadApp(emu, appId) ?? fail(40000);
      const hash = hashSecret(adminToken);
      if (app.adminTokenHash !== hash) emu.store.apps.addAdminToken(hash, appId, emu.now());
    },
    removeAdminToken(adminToken) {
      emu.store.apps.deleteAdminToken(hashSecret(adminToken));
    },
    hasApp(appId) {
      return loadApp(emu, appId) !== undefined;
    },
    configureApp(appId, config) {
      const app = loadApp(emu, appId) ?? fail(40000);
      emu.store.apps.setConfig(appId, JSON.stringify(mergeConfig(app.config, config)));
      emu.apps.delete(appId);
    },
    setLicense(appId, license) {
      emu.store.apps.setLicense(appId, license);
      emu.apps.delete(appId);
    },
    failNext(code, opts = {}) {
      const rule: FaultRule = { code, remaining: opts.times ?? 1 };
      if (opts.path !== undefined) rule.path = opts.path;
      emu.faults.push(rule);
    },
    clearFaults() {
      emu.faults.length = 0;
    },
    pushes(appId) {
      return emu.store.records.pushes(appId).map((r) => {
        const resolved = JSON.parse(r.recipients) as
          | { delivered?: PushRecipient[]; suppressed?: PushRecipient[] }
          | unknown[];
        const recipients = Array.isArray(resolved) ? [] : (resolved.delivered ?? []);
        const suppressed = Array.isArray(resolved) ? [] : (resolved.suppressed ?? []);
        return {
          id: r.id,
          appId: r.app_id,
          audience: JSON.parse(r.audience),
          message: JSON.parse(r.message),
          recipients,
          suppressed,
          users: [...new Set(recipients.map((x) => x.userId))],
          createdAt: r.created_at,
        };
      });
    },
    messages(appId) {
      return emu.store.records.messages(appId).map((r) => ({
        msgId: r.msg_id,
        appId: r.app_id,
        from: r.from_id,
        to: r.to_id,
        toType: r.to_type,
        contentType: r.content_type,
        content: r.content,
        attachment: r.attachment,
        ext: r.ext,
        config: r.config,
        recalled: r.recalled === 1,
        kind: r.kind === "notify" ? ("notify" as const) : ("message" as const),
        createdAt: r.created_at,
      }));
    },
  };
  return admin;
}
