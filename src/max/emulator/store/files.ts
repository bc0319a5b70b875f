import type { Database } from "../../../core/storage.js";

/** What an upload slot holds; one id space (max_files.id) for all kinds. */
export type FileKind = "photo" | "video" | "file" | "audio";

/** PENDING: URL handed out; UPLOADING: bytes arriving; COMPLETE: on disk, fsync'd, usable. */
export type FileState = "PENDING" | "UPLOADING" | "COMPLETE";

export interface FileRow {
  id: number;
  kind: FileKind;
  /** Attach token: photoToken for photos, `token` of 82/84 answers, FILE attach token. */
  token: string;
  owner_id: number;
  name: string;
  mime: string;
  size: number;
  path: string | null;
  state: FileState;
  created_at: number;
  /** Secret of the upload URL (`apiToken`); several photo slots of one request share it. */
  upload_key: string | null;
  /** Secret of the download URL. */
  download_key: string | null;
  /** `type` of the 80/82 request (PyMax: 1 video note, 2 voice). */
  media_type: number;
  width: number | null;
  height: number | null;
  completed_at: number | null;
}

export interface NewFile {
  id: number;
  kind: FileKind;
  token: string;
  ownerId: number;
  uploadKey: string;
  downloadKey: string;
  mediaType: number;
  now: number;
}

export interface CompletedFile {
  name: string;
  mime: string;
  size: number;
  path: string;
  width: number | null;
  height: number | null;
  now: number;
}

/** Queries on max_files, plus read-only looks at messages / members for download access. */
export class FilesRepo {
  private readonly insertStmt;
  private readonly byIdStmt;
  private readonly byTokenStmt;
  private readonly byDownloadKeyStmt;
  private readonly byUploadKeyStmt;
  private readonly claimStmt;
  private readonly releaseStmt;
  private readonly completeStmt;
  private readonly resetStmt;
  private readonly messageStmt;
  private readonly visibleMentionStmt;

  private readonly recentStmt;

  /** The 200 files completed last (the web console's list). */
  recentComplete(): FileRow[] {
    return this.recentStmt.all() as FileRow[];
  }

  constructor(readonly db: Database) {
    this.insertStmt = db.prepare(
      `INSERT INTO max_files (id, kind, token, owner_id, state, created_at, upload_key, download_key, media_type)
       VALUES (?, ?, ?, ?, 'PENDING', ?, ?, ?, ?)`,
    );
    this.byIdStmt = db.prepare("SELECT * FROM max_files WHERE id = ?");
    this.recentStmt = db.prepare(
      "SELECT * FROM max_files WHERE state = 'COMPLETE' ORDER BY completed_at DESC, id DESC LIMIT 200",
    );
    this.byTokenStmt = db.prepare("SELECT * FROM max_files WHERE token = ?");
    this.byDownloadKeyStmt = db.prepare("SELECT * FROM max_files WHERE download_key = ?");
    this.byUploadKeyStmt = db.prepare("SELECT * FROM max_files WHERE upload_key = ? ORDER BY id");
    this.claimStmt = db.prepare(
      "UPDATE max_files SET state = 'UPLOADING' WHERE id = ? AND state = 'PENDING'",
    );
    this.releaseStmt = db.prepare(
      "UPDATE max_files SET state = 'PENDING' WHERE id = ? AND state = 'UPLOADING'",
    );
    this.completeStmt = db.prepare(
      `UPDATE max_files SET state = 'COMPLETE', name = ?, mime = ?, size = ?, path = ?, width = ?, height = ?,
       completed_at = ? WHERE id = ? AND state = 'UPLOADING'`,
    );
    this.resetStmt = db.prepare("UPDATE max_files SET state = 'PENDING' WHERE state = 'UPLOADING'");
    // Read-only: the message must be live and the requester a member of its chat.
    this.messageStmt = db
      .prepare(
        `SELECT m.attaches FROM max_messages m
         JOIN max_members mb ON mb.chat_id = m.chat_id AND mb.user_id = ?
         WHERE m.id = ? AND m.chat_id = ? AND (m.status IS NULL OR m.status != 'REMOVED')`,
      )
      .pluck();
    this.visibleMentionStmt = db
      .prepare(
        `SELECT m.attaches FROM max_messages m
         JOIN max_members mb ON mb.chat_id = m.chat_id AND mb.user_id = ?
         WHERE m.attaches LIKE ? ESCAPE '\\' AND (m.status IS NULL OR m.status != 'REMOVED')
         LIMIT 20`,
      )
      .pluck();
  }

  create(f: NewFile): void {
    this.insertStmt.run(f.id, f.kind, f.token, f.ownerId, f.now, f.uploadKey, f.downloadKey, f.mediaType);
  }

  byId(id: number): FileRow | undefined {
    return this.byIdStmt.get(id) as FileRow | undefined;
  }

  byToken(token: string): FileRow | undefined {
    return this.byTokenStmt.get(token) as FileRow | undefined;
  }

  byDownloadKey(key: string): FileRow | undefined {
    return this.byDownloadKeyStmt.get(key) as FileRow | undefined;
  }

  /** Every slot opened by one upload URL, in id order. */
  byUploadKey(key: string): FileRow[] {
    return this.byUploadKeyStmt.all(key) as FileRow[];
  }

  /** PENDING → UPLOADING; false when another request already holds (or finished) the slot. */
  claim(id: number): boolean {
    return this.claimStmt.run(id).changes === 1;
  }

  /** UPLOADING → PENDING after a failed upload, so the same URL can be retried. */
  release(id: number): void {
    this.releaseStmt.run(id);
  }

  complete(id: number, f: CompletedFile): boolean {
    return this.completeStmt.run(f.name, f.mime, f.size, f.path, f.width, f.height, f.now, id).changes === 1;
  }

  /** After a restart no request is in flight: interrupted uploads go back to PENDING. */
  resetInterrupted(): number {
    return this.resetStmt.run().changes;
  }

  /** The attaches JSON of a live message the user can see, if any. */
  visibleMessageAttaches(userId: number, chatId: number, messageId: string): string | undefined {
    return this.messageStmt.get(userId, messageId, chatId) as string | undefined;
  }

  /** Attaches JSON of up to 20 live messages the user can see whose attaches mention `needle`. */
  visibleAttachesMentioning(userId: number, needle: string): string[] {
    const pattern = `%${needle.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    return this.visibleMentionStmt.all(userId, pattern) as string[];
  }
}
