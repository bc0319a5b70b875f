import { ErrorCode, Opcode } from "../../protocol.js";
import type { MaxConnection } from "../connection.js";
import { handlers, type MaxEmulator } from "../context.js";
import { MaxProtocolError } from "../errors.js";
import { forgetConnection } from "./auth-limits.js";
import { announcePresence } from "./contacts.js";

/** Keepalive (1) and hello (6): the only requests a fresh connection may send. */
export const sessionHandlers = handlers({
  [Opcode.KEEPALIVE]: {
    handle: () => ({}),
  },
  [Opcode.HELLO]: {
    handle: ({ conn, emu }, payload) => {
      if (conn.state !== "connected") {
        throw new MaxProtocolError(ErrorCode.PROTO_STATE, "HELLO was already sent on this connection");
      }
      conn.state = "hello";
      conn.deviceId = payload.deviceId ?? "";
      conn.deviceType = payload.userAgent?.deviceType ?? "WEB";
      conn.deviceName = payload.userAgent?.deviceName ?? "";
      conn.appVersion = payload.userAgent?.appVersion ?? "";
      return { location: "RU", serverTime: emu.now(), "app-update-type": 0, reg_country_code: ["RU"] };
    },
  },
});

/** Binds a connection to a user's session: it is ONLINE from now on and receives that user's events. */
export function bindSession(emu: MaxEmulator, conn: MaxConnection, userId: number, sessionId: number): void {
  const wasOnline = emu.hub.isOnline(userId);
  if (conn.userId !== undefined && conn.userId !== userId) {
    // The socket switches accounts: the previous one may have just gone offline.
    const previous = conn.userId;
    emu.hub.unbind(conn, previous);
    wentOffline(emu, previous);
  }
  conn.userId = userId;
  conn.sessionId = sessionId;
  conn.state = "online";
  emu.hub.bind(conn, userId);
  emu.repos.users.touchSession(
    sessionId,
    {
      deviceId: conn.deviceId,
      deviceType: conn.deviceType,
      deviceName: conn.deviceName,
      appVersion: conn.appVersion,
    },
    emu.now(),
  );
  if (!wasOnline) announcePresence(emu, userId, true);
}

export function onDisconnect(emu: MaxEmulator, conn: MaxConnection): void {
  forgetConnection(emu, conn.id);
  const userId = conn.userId;
  if (userId === undefined) return;
  emu.hub.unbind(conn, userId);
  // Sockets still closing after the emulator shut its store down have nothing left to record.
  if (!emu.db.open) return;
  wentOffline(emu, userId);
}

function wentOffline(emu: MaxEmulator, userId: number): void {
  if (emu.hub.isOnline(userId)) return;
  // A hidden user's "last seen" stays where it was when they hid.
  if (!emu.repos.users.byId(userId)?.hidden) emu.repos.users.setLastSeen(userId, emu.now());
  announcePresence(emu, userId, false);
}

/** Close code for sockets whose session was terminated from another device (24 / 97). */
export const SESSION_TERMINATED_CLOSE = 4001;

/**
 * Ends every socket bound to `sessionId`: they stop being ONLINE at once (so nothing more is
 * served on them) and are closed; presence goes out when the close completes.
 */
export function closeSessionSockets(emu: MaxEmulator, userId: number, sessionId: number): number {
  let n = 0;
  for (const conn of [...emu.hub.connectionsOf(userId)]) {
    if (conn.sessionId !== sessionId) continue;
    conn.state = "connected";
    // Let a response queued on this socket go out first.
    setImmediate(() => conn.close(SESSION_TERMINATED_CLOSE, "session terminated"));
    n++;
  }
  return n;
}
