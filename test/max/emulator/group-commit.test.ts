/**
 * Opcode 64's group commit on a file-backed WAL store (as the sandbox runs it): concurrent sends
 * of several connections share transactions whose flush runs off the event loop
 * (store/wal-flush.ts). An ok answer still means the message is in SQLite, one refused message
 * does not fail its batch, and a killed emulator never answered ok for a message it lost.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import Sqlite from "better-sqlite3";
import { afterAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { ChildServer } from "../../../bench/lib/ipc.js";
import { loggedIn, type RawClient, type RawPacket, startEmulator } from "../raw.js";

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function tempDb(): string {
  const dir = mkdtempSync(join(tmpdir(), "sb-max-group-commit-"));
  dirs.push(dir);
  return join(dir, "max.db");
}

const message = (text: string, cid: number) => ({ text, cid, elements: [], attaches: [] });

/** Sends every frame of `frames` in one socket write, so the server reads them in one turn. */
function sendTogether(c: RawClient, frames: { seq: number; opcode: number; payload: unknown }[]): void {
  const socket = (c.ws as unknown as { _socket: { cork(): void; uncork(): void } })._socket;
  socket.cork();
  for (const f of frames) c.send(f.opcode, f.payload, f.seq);
  socket.uncork();
}

function answerTo(c: RawClient, seq: number): Promise<RawPacket> {
  return c.waitFor((p) => p.seq === seq && p.cmd !== 0, 15_000);
}

describe("64 group commit on a file-backed WAL store", () => {
  it("concurrent sends on four connections: every ok is stored, the recipient gets every 128 in order per chat, synchronous stays FULL", async () => {
    const emu = await startEmulator({ file: tempDb() });
    try {
      expect(emu.db.pragma("journal_mode", { simple: true })).toBe("wal");
      const r = await loggedIn(emu.url, "+79030000100");
      const senders = await Promise.all([1, 2, 3, 4].map((i) => loggedIn(emu.url, `+7903000010${i}`)));
      const perSender = 40;
      const answers = await Promise.all(
        senders.map(async (s, i) => {
          const seqs: number[] = [];
          for (let n = 0; n < perSender; n++) {
            const seq = 1000 + n;
            seqs.push(seq);
            s.client.send(
              64,
              { userId: r.userId, message: message(`s${i} m${n}`, n + 1), notify: true },
              seq,
            );
          }
          return Promise.all(seqs.map((seq) => answerTo(s.client, seq)));
        }),
      );
      const ids: string[] = [];
      for (const list of answers) {
        for (const p of list) {
          expect(p.cmd).toBe(1);
          ids.push(p.payload.message.id);
        }
      }
      expect(new Set(ids).size).toBe(senders.length * perSender);
      const stored = emu.db
        .prepare(`SELECT COUNT(*) FROM max_messages WHERE id IN (${ids.map(() => "?").join(",")})`)
        .pluck()
        .get(...ids.map(Number));
      expect(stored).toBe(ids.length);
      expect(emu.db.pragma("synchronous", { simple: true })).toBe(2);

      // Every 128 reached the recipient, and within each dialog in the order the sender sent.
      await r.client.ok(1, { interactive: false });
      const pushes = r.client.events(128);
      expect(pushes).toHaveLength(ids.length);
      const byChat = new Map<number, string[]>();
      for (const p of pushes) {
        const list = byChat.get(p.payload.chatId) ?? [];
        list.push(p.payload.message.text);
        byChat.set(p.payload.chatId, list);
      }
      expect(byChat.size).toBe(senders.length);
      for (const texts of byChat.values()) {
        const order = texts.map((t) => Number(t.split(" m")[1]));
        expect(order).toEqual([...Array(perSender).keys()]);
      }
      for (const s of [r, ...senders]) s.client.close();
    } finally {
      await emu.close();
    }
  });

  it("one message refused inside a batch gets its own error; the others of that batch are stored and pushed", async () => {
    const emu = await startEmulator({ file: tempDb() });
    try {
      // A message SQLite refuses at insert time (as a constraint or a failing listener would).
      emu.db.exec(
        `CREATE TRIGGER test_refuse BEFORE INSERT ON max_messages WHEN NEW.text = 'refuse me'
         BEGIN SELECT RAISE(ABORT, 'refused by test'); END`,
      );
      const a = await loggedIn(emu.url, "+79030000201");
      const b = await loggedIn(emu.url, "+79030000202");
      const first = await a.client.ok(64, { userId: b.userId, message: message("open", 1) });
      const chatId = first.chatId as number;
      sendTogether(a.client, [
        { seq: 101, opcode: 64, payload: { chatId, message: message("good 1", 2) } },
        { seq: 102, opcode: 64, payload: { chatId, message: message("refuse me", 3) } },
        { seq: 103, opcode: 64, payload: { chatId, message: message("good 2", 4) } },
        { seq: 104, opcode: 64, payload: { chatId, message: message("   ", 5) } },
        { seq: 105, opcode: 64, payload: { chatId, message: message("good 3", 6) } },
      ]);
      const [g1, refused, g2, empty, g3] = await Promise.all(
        [101, 102, 103, 104, 105].map((seq) => answerTo(a.client, seq)),
      );
      expect(refused!.cmd).toBe(3);
      expect(refused!.payload.error).toBe("service.unavailable");
      expect(JSON.stringify(refused!.payload)).not.toContain("refused by test");
      expect(empty!.cmd).toBe(3);
      expect(empty!.payload.error).toBe("message.empty");
      const texts = emu.db
        .prepare("SELECT text FROM max_messages WHERE chat_id = ? ORDER BY id")
        .pluck()
        .all(chatId);
      expect(texts).toEqual(["open", "good 1", "good 2", "good 3"]);
      for (const p of [g1, g2, g3]) {
        expect(p!.cmd).toBe(1);
        expect(texts).toContain(p!.payload.message.text);
      }
      await b.client.ok(1, { interactive: false });
      expect(b.client.events(128).map((p) => p.payload.message.text)).toEqual([
        "open",
        "good 1",
        "good 2",
        "good 3",
      ]);
      a.client.close();
      b.client.close();
    } finally {
      await emu.close();
    }
  });

  it("an emulator killed at a random point while three connections send never answered ok for a message that is not in SQLite", async () => {
    const server = await ChildServer.start("bench/lib/max-server.ts");
    const file = String(server.info.db);
    dirs.push(dirname(file));
    const users = await server.call<{ userId: number; token: string }[]>("users", { count: 4, sessions: 4 });
    const recipient = users[3]!;
    const acked: number[] = [];
    let sent = 0;
    let running: () => void = () => {};
    const started = new Promise<void>((r) => {
      running = r;
    });
    const sockets = await Promise.all(
      users.slice(0, 3).map((u) => openSender(String(server.info.url), u.token)),
    );
    // Each sender keeps 16 sends in flight until its socket dies with the process.
    for (const ws of sockets) {
      let seq = 100;
      const next = () => {
        seq++;
        sent++;
        ws.send(
          JSON.stringify({
            ver: 11,
            cmd: 0,
            seq,
            opcode: 64,
            payload: { userId: recipient.userId, message: message(`m${seq}`, seq) },
          }),
        );
      };
      ws.on("message", (data) => {
        const p = JSON.parse(String(data)) as RawPacket;
        if (p.opcode !== 64 || p.seq <= 100) return;
        if (p.cmd === 1) acked.push(Number(p.payload.message.id));
        if (acked.length >= 20) running();
        if (ws.readyState === WebSocket.OPEN) next();
      });
      for (let i = 0; i < 16; i++) next();
    }
    // Killed at a random moment once sends are flowing (however slow the machine is).
    await started;
    await new Promise((r) => setTimeout(r, Math.floor(Math.random() * 300)));
    const closed = sockets.map((ws) => new Promise((r) => ws.once("close", r)));
    process.kill(server.pid!, "SIGKILL");
    await Promise.all(closed);
    expect(acked.length).toBeGreaterThan(0);
    expect(sent).toBeGreaterThan(acked.length);
    // The WAL left behind by the dead process is recovered on open, as after a crash.
    const db = new Sqlite(file);
    try {
      const has = db.prepare("SELECT 1 FROM max_messages WHERE id = ?").pluck();
      const missing = acked.filter((id) => has.get(id) === undefined);
      expect(missing).toEqual([]);
    } finally {
      db.close();
    }
  });
});

/** A bare socket logged in by token (hello + 19), its answers consumed. */
async function openSender(url: string, token: string): Promise<WebSocket> {
  const ws = new WebSocket(url, { origin: "https://web.max.ru" });
  await new Promise((resolve, reject) => {
    ws.once("open", resolve);
    ws.once("error", reject);
  });
  const call = (seq: number, opcode: number, payload: unknown) =>
    new Promise<RawPacket>((resolve) => {
      const on = (data: WebSocket.RawData) => {
        const p = JSON.parse(String(data)) as RawPacket;
        if (p.seq !== seq || p.cmd === 0) return;
        ws.off("message", on);
        resolve(p);
      };
      ws.on("message", on);
      ws.send(JSON.stringify({ ver: 11, cmd: 0, seq, opcode, payload }));
    });
  await call(1, 6, {
    userAgent: { deviceType: "WEB", locale: "ru_RU", appVersion: "25.11.2" },
    deviceId: "kill",
  });
  const login = await call(2, 19, { interactive: true, token, chatsSync: 0, contactsSync: 0, chatsCount: 0 });
  if (login.cmd !== 1) throw new Error(`login failed: ${JSON.stringify(login.payload)}`);
  return ws;
}
