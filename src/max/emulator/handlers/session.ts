import { Opcode } from "../../protocol.js";
import type { MaxConnection } from "../connection.js";
import { handlers, type MaxEmulator } from "../context.js";
import { MaxProtocolError } from "../errors.js";
import { ErrorCode } from "../../protocol.js";
import { announcePresence } from "./contacts.js";

/** Keepalive (1) and hello (6): the only requests a fresh connection may send. */
export const sessionHandlers = handlers({
  [Opcode.KEEPALIVE]: {
    state: "connected",
    handle: () => ({}),
  },
  [Opcode.HELLO]: {
    state: "connected",
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
  if (conn.userId !== undefined && conn.userId !== userId) emu.hub.unbind(conn, conn.userId);
  conn.userId = userId;
  conn.sessionId = sessionId;
  conn.state = "online";
  emu.hub.bind(conn, userId);
  emu.repos.users.touchSession(
    sessionId,
    { deviceId: conn.deviceId, deviceType: conn.deviceType, deviceName: conn.deviceName, appVersion: conn.appVersion },
    emu.now(),
  );
  if (!wasOnline) announcePresence(emu, userId, true);
}

export function onDisconnect(emu: MaxEmulator, conn: MaxConnection): void {
  const userId = conn.userId;
  if (userId === undefined) return;
  emu.hub.unbind(conn, userId);
  if (!emu.hub.isOnline(userId)) {
    emu.repos.users.setLastSeen(userId, emu.now());
    announcePresence(emu, userId, false);
  }
}
