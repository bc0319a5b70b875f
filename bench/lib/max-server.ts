/**
 * The MAX emulator as a benchmark subject (run as a child by ChildServer): file-backed SQLite
 * in WAL mode (as the sandbox runs it), no keepalive timeouts during a run, and IPC methods
 * that create users, sessions and large groups straight through the emulator's repositories.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openStore } from "../../src/core/emulator/store.js";
import { createUser, newLoginToken } from "../../src/max/emulator/handlers/auth.js";
import { createGroupChat } from "../../src/max/emulator/handlers/chats.js";
import { maxStoreModule } from "../../src/max/emulator/index.js";
import { MaxEmulatorServer } from "../../src/max/emulator/server.js";
import { serveIpc } from "./ipc.js";

const dir = mkdtempSync(join(tmpdir(), "sb-bench-max-"));
const file = join(dir, "bench.db");
const db = openStore({ file, modules: [maxStoreModule] });
const server = new MaxEmulatorServer({
  db,
  dataDir: join(dir, "files"),
  smsCode: "123456",
  idleTimeoutMs: 3_600_000,
});
const url = await server.listen(0);
const emu = server.emu;
let phoneCounter = 0;

function journalMode(): string {
  return String(db.pragma("journal_mode", { simple: true }));
}

serveIpc(
  { url, db: file, journalMode: journalMode() },
  {
    /** Creates `count` users; the first `sessions` of them get a login session (token returned). */
    users: (params: { count: number; sessions: number }) => {
      const out: { userId: number; token?: string }[] = [];
      db.transaction(() => {
        for (let i = 0; i < params.count; i++) {
          const phone = `+7990${String(++phoneCounter).padStart(7, "0")}`;
          const user = createUser(emu, { phone, firstName: `Bench${phoneCounter}` });
          if (i < params.sessions) {
            const token = newLoginToken();
            emu.repos.users.createSession(
              {
                token,
                userId: user.id,
                deviceId: `bench-${user.id}`,
                deviceType: "WEB",
                deviceName: "bench",
                appVersion: "1",
              },
              emu.now(),
            );
            out.push({ userId: user.id, token });
          } else out.push({ userId: user.id });
        }
      })();
      return out;
    },
    /** A group chat owned by `ownerId` with every user in `memberIds` (owner included). */
    group: (params: { ownerId: number; memberIds: number[]; title: string }) => {
      const chat = createGroupChat(emu, params.ownerId, {
        type: "CHAT",
        title: params.title,
        userIds: params.memberIds,
      });
      return { chatId: chat.id, members: emu.repos.chats.countMembers(chat.id) };
    },
    stats: () => ({ ...server.admin.stats(), journalMode: journalMode() }),
    messageCount: () => emu.repos.messages.count(),
    /**
     * The server's own cost so far, ms: CPU time (user + system) and event-loop busy time. Per
     * message they tell what the neighbours' load on a shared machine hides in rt/s.
     */
    usage: () => {
      const cpu = process.cpuUsage();
      return { cpuMs: (cpu.user + cpu.system) / 1000, busyMs: performance.eventLoopUtilization().active };
    },
  },
  async () => {
    // The process exits right after: the database is deleted, not closed, so late socket-close
    // handlers never touch a closed handle.
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  },
);
