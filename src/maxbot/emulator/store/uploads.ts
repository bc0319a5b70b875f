import { StatementCache } from "../../../core/emulator/store.js";
import type { Database } from "../../../core/storage.js";

export type UploadType = "image" | "video" | "audio" | "file";

/** One upload URL handed out by POST /uploads, and what became of it. */
export interface UploadRecord {
  uploadId: string;
  botId: number;
  type: UploadType;
  token: string;
  status: "pending" | "ready";
  /** The MAX attach once the bytes are stored. */
  attach: Record<string, unknown> | null;
  fileUrl: string | null;
  size: number | null;
  name: string | null;
  createdAt: number;
}

interface Row {
  upload_id: string;
  bot_id: number;
  type: UploadType;
  token: string;
  status: "pending" | "ready";
  attach: string | null;
  file_url: string | null;
  size: number | null;
  name: string | null;
  created_at: number;
}

const caches = new WeakMap<Database, StatementCache>();
function sql(db: Database): StatementCache {
  let cache = caches.get(db);
  if (!cache) {
    cache = new StatementCache(db);
    caches.set(db, cache);
  }
  return cache;
}

function fromRow(r: Row): UploadRecord {
  return {
    uploadId: r.upload_id,
    botId: r.bot_id,
    type: r.type,
    token: r.token,
    status: r.status,
    attach: r.attach === null ? null : (JSON.parse(r.attach) as Record<string, unknown>),
    fileUrl: r.file_url,
    size: r.size,
    name: r.name,
    createdAt: r.created_at,
  };
}

const COLUMNS = "upload_id, bot_id, type, token, status, attach, file_url, size, name, created_at";

export function createUpload(
  db: Database,
  u: { uploadId: string; botId: number; type: UploadType; token: string; createdAt: number },
): void {
  sql(db)
    .get(
      "INSERT INTO maxbot_uploads (upload_id, bot_id, type, token, status, created_at) VALUES (?, ?, ?, ?, 'pending', ?)",
    )
    .run(u.uploadId, u.botId, u.type, u.token, u.createdAt);
}

export function uploadById(db: Database, uploadId: string): UploadRecord | undefined {
  const row = sql(db).get(`SELECT ${COLUMNS} FROM maxbot_uploads WHERE upload_id = ?`).get(uploadId) as
    | Row
    | undefined;
  return row ? fromRow(row) : undefined;
}

export function uploadByToken(db: Database, token: string): UploadRecord | undefined {
  const row = sql(db).get(`SELECT ${COLUMNS} FROM maxbot_uploads WHERE token = ?`).get(token) as
    | Row
    | undefined;
  return row ? fromRow(row) : undefined;
}

/** The bytes are stored: the token now stands for `attach`. Drops the upload's chunks. */
export function completeUpload(
  db: Database,
  uploadId: string,
  done: { attach: Record<string, unknown>; fileUrl: string; size: number; name: string },
): void {
  const s = sql(db);
  s.get(
    "UPDATE maxbot_uploads SET status = 'ready', attach = ?, file_url = ?, size = ?, name = ? WHERE upload_id = ?",
  ).run(JSON.stringify(done.attach), done.fileUrl, done.size, done.name, uploadId);
  s.get("DELETE FROM maxbot_upload_chunks WHERE upload_id = ?").run(uploadId);
}

/** Stores one Content-Range chunk; returns the bytes received so far. */
export function saveChunk(db: Database, uploadId: string, start: number, bytes: Buffer): number {
  const s = sql(db);
  s.get("INSERT OR REPLACE INTO maxbot_upload_chunks (upload_id, start, bytes) VALUES (?, ?, ?)").run(
    uploadId,
    start,
    bytes,
  );
  const total = (
    s
      .get("SELECT COALESCE(SUM(length(bytes)), 0) AS n FROM maxbot_upload_chunks WHERE upload_id = ?")
      .get(uploadId) as {
      n: number;
    }
  ).n;
  s.get("UPDATE maxbot_uploads SET received = ? WHERE upload_id = ?").run(total, uploadId);
  return total;
}

/** The chunks of an upload in order of their offset. */
export function chunksOf(db: Database, uploadId: string): { start: number; bytes: Buffer }[] {
  return sql(db)
    .get("SELECT start, bytes FROM maxbot_upload_chunks WHERE upload_id = ? ORDER BY start")
    .all(uploadId) as { start: number; bytes: Buffer }[];
}

/** Forgets upload URLs never used since `olderThan` (and their partial chunks). */
export function prunePendingUploads(db: Database, olderThan: number): void {
  const s = sql(db);
  s.get(
    `DELETE FROM maxbot_upload_chunks WHERE upload_id IN
       (SELECT upload_id FROM maxbot_uploads WHERE status = 'pending' AND created_at < ?)`,
  ).run(olderThan);
  s.get("DELETE FROM maxbot_uploads WHERE status = 'pending' AND created_at < ?").run(olderThan);
}
