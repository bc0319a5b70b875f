import type { MaxConnection } from "./connection.js";

/**
 * Who is online right now: user id → live, logged-in connections. Events are serialised
 * once and written to every recipient socket (fan-out to thousands must stay cheap).
 */
export class Hub {
  private readonly byUser = new Map<number, Set<MaxConnection>>();
  private readonly all = new Set<MaxConnection>();

  add(conn: MaxConnection): void {
    this.all.add(conn);
  }

  remove(conn: MaxConnection): void {
    this.all.delete(conn);
    if (conn.userId !== undefined) this.unbind(conn, conn.userId);
  }

  bind(conn: MaxConnection, userId: number): void {
    let set = this.byUser.get(userId);
    if (!set) {
      set = new Set();
      this.byUser.set(userId, set);
    }
    set.add(conn);
  }

  unbind(conn: MaxConnection, userId: number): void {
    const set = this.byUser.get(userId);
    if (!set) return;
    set.delete(conn);
    if (set.size === 0) this.byUser.delete(userId);
  }

  connectionsOf(userId: number): ReadonlySet<MaxConnection> {
    return this.byUser.get(userId) ?? EMPTY;
  }

  isOnline(userId: number): boolean {
    return this.byUser.has(userId);
  }

  connections(): IterableIterator<MaxConnection> {
    return this.all.values();
  }

  get size(): number {
    return this.all.size;
  }

  /** Push one event to every session of the given users, except `except` (the requester). */
  emit(userIds: Iterable<number>, opcode: number, payload: unknown, except?: MaxConnection): number {
    const body = JSON.stringify(payload);
    let sent = 0;
    for (const userId of userIds) {
      const set = this.byUser.get(userId);
      if (!set) continue;
      for (const conn of set) {
        if (conn === except) continue;
        conn.sendEventRaw(opcode, body);
        sent++;
      }
    }
    return sent;
  }

  /** Push an event to one specific connection set (e.g. all sessions of the requester). */
  emitTo(conns: Iterable<MaxConnection>, opcode: number, payload: unknown): void {
    const body = JSON.stringify(payload);
    for (const conn of conns) conn.sendEventRaw(opcode, body);
  }
}

const EMPTY: ReadonlySet<MaxConnection> = new Set();
