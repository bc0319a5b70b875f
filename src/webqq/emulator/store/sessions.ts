/**
 * WebQQ sessions at rest (`webqq_sessions`, `webqq_session_queue`). Secrets are stored only as
 * SHA-256 (psessionid, vfwebqq, ptwebqq); the live maps in `Hub` are rebuilt from here at start,
 * so a client logged in before a restart keeps polling and sending with the same values.
 * better-sqlite3 is synchronous and each statement commits on its own, so a write is durable
 * before the answer that reports it is sent.
 */
import type { Statement } from "better-sqlite3";
import type { Database } from "../../../core/storage.js";
import type { PollItem } from "../../protocol.js";
import type { HubStore, QueueEntry, Session, SessionState } from "../hub.js";

interface SessionRow {
  psessionid_hash: string;
  vfwebqq_hash: string;
  ptwebqq_hash: string;
  qq: number;
  clientid: string;
  status: string;
  state: SessionState;
  created_at: number;
  last_seen: number;
}

export class SessionStore implements HubStore {
  readonly #db: Database;
  readonly #st: Record<string, Statement>;

  constructor(db: Database) {
    this.#db = db;
    const p = (sql: string) => db.prepare(sql);
    this.#st = {
      insert: p(
        `INSERT INTO webqq_sessions
           (psessionid_hash, vfwebqq_hash, ptwebqq_hash, qq, clientid, status, state, created_at, last_seen)
         VALUES (?, ?, ?, ?, ?, ?, 'active', ?, ?)`,
      ),
      state: p("UPDATE webqq_sessions SET state = ? WHERE psessionid_hash = ?"),
      status: p("UPDATE webqq_sessions SET status = ? WHERE psessionid_hash = ?"),
      ptwebqq: p("UPDATE webqq_sessions SET ptwebqq_hash = ? WHERE psessionid_hash = ?"),
      seen: p("UPDATE webqq_sessions SET last_seen = ? WHERE psessionid_hash = ?"),
      qqOfPt: p("SELECT qq FROM webqq_sessions WHERE ptwebqq_hash = ? ORDER BY created_at DESC LIMIT 1"),
      live: p("SELECT * FROM webqq_sessions WHERE state <> 'closed' AND ptwebqq_hash <> ''"),
      liveQueue: p(
        `SELECT q.id, q.psessionid_hash, q.item FROM webqq_session_queue q
         JOIN webqq_sessions s ON s.psessionid_hash = q.psessionid_hash AND s.state <> 'closed'
         ORDER BY q.id`,
      ),
      enqueue: p("INSERT INTO webqq_session_queue (psessionid_hash, item, created_at) VALUES (?, ?, ?)"),
      requeue: p(
        "INSERT INTO webqq_session_queue (id, psessionid_hash, item, created_at) VALUES (?, ?, ?, ?)",
      ),
      dequeue: p("DELETE FROM webqq_session_queue WHERE psessionid_hash = ? AND id <= ?"),
      move: p("UPDATE webqq_session_queue SET psessionid_hash = ? WHERE psessionid_hash = ?"),
      drop: p("DELETE FROM webqq_session_queue WHERE psessionid_hash = ?"),
      closeOthers: p(
        "UPDATE webqq_sessions SET state = 'closed' WHERE qq = ? AND state = 'active' AND psessionid_hash <> ?",
      ),
    };
  }

  #run(name: string, ...args: unknown[]) {
    return (this.#st[name] as Statement).run(...args);
  }

  insert(s: Session, now: number): void {
    this.#run("insert", s.psid, s.vfHash, s.ptHash, s.qq, s.clientid, s.status, now, s.lastSeen);
    s.savedSeen = s.lastSeen;
  }

  setState(psid: string, state: SessionState): void {
    this.#run("state", state, psid);
  }

  setStatus(psid: string, status: string): void {
    this.#run("status", status, psid);
  }

  setPtwebqq(psid: string, ptHash: string): void {
    this.#run("ptwebqq", ptHash, psid);
  }

  /** Records activity for the idle TTL; written at most every `everyMs` to spare the hot path. */
  touch(s: Session, everyMs: number): void {
    if (s.lastSeen - s.savedSeen < everyMs) return;
    this.#run("seen", s.lastSeen, s.psid);
    s.savedSeen = s.lastSeen;
  }

  /** The account a ptwebqq (hash) was last used by in login2 or a 116 rotation. */
  qqOfPtwebqq(ptHash: string): number | undefined {
    const row = (this.#st.qqOfPt as Statement).get(ptHash) as { qq: number } | undefined;
    return row?.qq;
  }

  /** Closes every other active session of the account (after a second login2). */
  closeOthers(qq: number, psid: string): void {
    this.#run("closeOthers", qq, psid);
  }

  /** The sessions to put back into the hub at start (active and kicked), with their queues. */
  load(): Session[] {
    const rows = (this.#st.live as Statement).all() as SessionRow[];
    const out = new Map<string, Session>();
    for (const r of rows) {
      out.set(r.psessionid_hash, {
        psid: r.psessionid_hash,
        vfHash: r.vfwebqq_hash,
        ptHash: r.ptwebqq_hash,
        vfwebqq: undefined,
        clientid: r.clientid,
        qq: r.qq,
        status: r.status,
        state: r.state === "kicked" ? "kicked" : "active",
        queue: [],
        redeliver: undefined,
        waiter: undefined,
        lastSeen: r.last_seen || r.created_at,
        savedSeen: r.last_seen || r.created_at,
      });
    }
    const items = (this.#st.liveQueue as Statement).all() as {
      id: number;
      psessionid_hash: string;
      item: string;
    }[];
    for (const q of items) {
      out.get(q.psessionid_hash)?.queue.push({ id: q.id, item: JSON.parse(q.item) as PollItem });
    }
    return [...out.values()];
  }

  // ---- HubStore ---------------------------------------------------------------------------------
  enqueue(psid: string, item: PollItem): number {
    return Number(this.#run("enqueue", psid, JSON.stringify(item), Date.now()).lastInsertRowid);
  }

  dequeueThrough(psid: string, id: number): void {
    this.#run("dequeue", psid, id);
  }

  requeue(psid: string, entries: readonly QueueEntry[]): void {
    const now = Date.now();
    this.#db.transaction(() => {
      for (const e of entries) this.#run("requeue", e.id, psid, JSON.stringify(e.item), now);
    })();
  }

  moveQueue(from: string, to: string): void {
    this.#run("move", to, from);
  }

  closed(psid: string): void {
    this.#db.transaction(() => {
      this.#run("state", "closed", psid);
      this.#run("drop", psid);
    })();
  }
}
