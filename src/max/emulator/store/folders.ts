import type { Database } from "../../../core/storage.js";

/** A chat folder as PyMax's Folder reads it (types/domain/folder.py). */
export interface FolderView {
  id: string;
  title: string;
  include: number[];
  filters: (string | number)[];
  options: (string | number)[];
  updateTime: number;
  sourceId: number;
}

interface FolderRow {
  user_id: number;
  id: string;
  title: string;
  include: string;
  filters: string;
  options: string;
  position: number;
  update_time: number;
}

export interface FolderInput {
  id: string;
  title: string;
  include: number[];
  filters: (string | number)[];
  /** Undefined keeps the stored options (PyMax's create sends none). */
  options?: (string | number)[];
}

/**
 * Per-user chat folders (`max_folders`, in the user's order) and each user's folder sync mark
 * (`max_folder_sync`: the time of the last change, which 272 / 274 / 276 answer as `folderSync`).
 */
export class FoldersRepo {
  private readonly s;

  constructor(readonly db: Database) {
    this.s = {
      list: db.prepare("SELECT * FROM max_folders WHERE user_id = ? ORDER BY position, id"),
      get: db.prepare("SELECT * FROM max_folders WHERE user_id = ? AND id = ?"),
      count: db.prepare("SELECT COUNT(*) FROM max_folders WHERE user_id = ?").pluck(),
      nextPosition: db
        .prepare("SELECT COALESCE(MAX(position), -1) + 1 FROM max_folders WHERE user_id = ?")
        .pluck(),
      insert: db.prepare(
        `INSERT INTO max_folders (user_id, id, title, include, filters, options, position, update_time)
         VALUES (@user_id, @id, @title, @include, @filters, @options, @position, @update_time)`,
      ),
      update: db.prepare(
        `UPDATE max_folders SET title = @title, include = @include, filters = @filters, options = @options,
           update_time = @update_time WHERE user_id = @user_id AND id = @id`,
      ),
      remove: db.prepare("DELETE FROM max_folders WHERE user_id = ? AND id = ?"),
      sync: db.prepare("SELECT folder_sync FROM max_folder_sync WHERE user_id = ?").pluck(),
      touch: db.prepare(
        `INSERT INTO max_folder_sync (user_id, folder_sync) VALUES (?, ?)
         ON CONFLICT(user_id) DO UPDATE SET folder_sync = MAX(excluded.folder_sync, folder_sync + 1)`,
      ),
    };
  }

  list(userId: number): FolderView[] {
    return (this.s.list.all(userId) as FolderRow[]).map(toView);
  }

  get(userId: number, id: string): FolderView | undefined {
    const row = this.s.get.get(userId, id) as FolderRow | undefined;
    return row ? toView(row) : undefined;
  }

  count(userId: number): number {
    return this.s.count.get(userId) as number;
  }

  /** The user's sync mark: 0 until a folder was ever changed. */
  folderSync(userId: number): number {
    return (this.s.sync.get(userId) as number | undefined) ?? 0;
  }

  /** Creates or updates a folder and moves the sync mark, in one transaction. */
  upsert(userId: number, input: FolderInput, now: number): FolderView {
    return this.db.transaction(() => {
      const existing = this.s.get.get(userId, input.id) as FolderRow | undefined;
      const row = {
        user_id: userId,
        id: input.id,
        title: input.title,
        include: JSON.stringify(input.include),
        filters: JSON.stringify(input.filters),
        options: JSON.stringify(input.options ?? (existing ? JSON.parse(existing.options) : [])),
        update_time: now,
      };
      if (existing) this.s.update.run(row);
      else this.s.insert.run({ ...row, position: this.s.nextPosition.get(userId) as number });
      this.s.touch.run(userId, now);
      return toView(this.s.get.get(userId, input.id) as FolderRow);
    })();
  }

  /** Deletes the named folders (unknown ids are skipped); the sync mark moves if any went. */
  remove(userId: number, ids: string[], now: number): number {
    return this.db.transaction(() => {
      let removed = 0;
      for (const id of ids) removed += this.s.remove.run(userId, id).changes;
      if (removed > 0) this.s.touch.run(userId, now);
      return removed;
    })();
  }
}

function toView(row: FolderRow): FolderView {
  return {
    id: row.id,
    title: row.title,
    include: JSON.parse(row.include) as number[],
    filters: JSON.parse(row.filters) as (string | number)[],
    options: JSON.parse(row.options) as (string | number)[],
    updateTime: row.update_time,
    sourceId: 0,
  };
}
