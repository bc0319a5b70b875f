/**
 * The sandbox as the bot benches' server child (started by ChildServer): every emulator as
 * `npm start` runs them, file-backed SQLite in WAL mode in a temp folder. IPC methods create MAX
 * users with login sessions and group chats straight through the emulator's repositories, and
 * run floods: `prepare` stores a peer's messages (committed, as the MAX emulator stores an
 * opcode 64), `push` then sends their 128 pushes to every member session in one go, so the
 * consumer in the parent, not this process, is what limits the rate.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createUser, newLoginToken } from "../../src/max/emulator/handlers/auth.js";
import { pushMessage, storeMessage } from "../../src/max/emulator/handlers/chat-messages.js";
import { createGroupChat } from "../../src/max/emulator/handlers/chats.js";
import { startSandbox } from "../../src/sandbox/runner.js";
import { serveIpc } from "./ipc.js";

const dir = mkdtempSync(join(tmpdir(), "sb-bench-bot-"));
const file = join(dir, "sandbox.db");
const sandbox = await startSandbox({ port: 0, data: file, smsCode: "123456", maxSocketTls: false });
const emu = sandbox.max.emu;
const db = emu.db;
let phones = 0;

type Stored = { chatId: number; message: ReturnType<typeof storeMessage> };
let prepared: Stored[] = [];

export interface BenchUser {
  userId: number;
  token: string;
}

serveIpc(
  { url: sandbox.urls.max, db: file, journalMode: String(db.pragma("journal_mode", { simple: true })) },
  {
    /** `count` MAX users, each with a login session (raw token) as a returning client has. */
    users: (p: { count: number }): BenchUser[] =>
      Array.from({ length: p.count }, () => {
        const n = ++phones;
        const user = createUser(emu, { phone: `+7991${String(n).padStart(7, "0")}`, firstName: `Bot${n}` });
        const token = newLoginToken();
        emu.repos.users.createSession(
          {
            token,
            userId: user.id,
            deviceId: `bench-bot-${user.id}`,
            deviceType: "WEB",
            deviceName: "bench",
            appVersion: "1",
          },
          emu.now(),
        );
        return { userId: user.id, token };
      }),
    /** `count` group chats owned by `ownerId` with `memberIds`. */
    groups: (p: { ownerId: number; memberIds: number[]; count: number }): number[] =>
      Array.from(
        { length: p.count },
        (_, i) =>
          createGroupChat(emu, p.ownerId, { type: "CHAT", title: `Bench ${i}`, userIds: p.memberIds }).id,
      ),
    /** Stores `count` texts from `fromUserId`, round-robin over `chatIds`; text i carries `#i`. */
    prepare: (p: { fromUserId: number; chatIds: number[]; count: number; text: string }): number => {
      prepared = [];
      db.transaction(() => {
        for (let i = 0; i < p.count; i++) {
          const chatId = p.chatIds[i % p.chatIds.length] as number;
          const message = storeMessage(emu, chatId, p.fromUserId, {
            text: `#${i} ${p.text}`,
            elements: [],
            attaches: [],
          });
          prepared.push({ chatId, message });
        }
      })();
      return prepared.length;
    },
    /** Pushes every prepared message (128) to its chat's member sessions, in order. */
    push: (): number => {
      const batch = prepared;
      prepared = [];
      for (const { chatId, message } of batch) pushMessage(emu, chatId, message, undefined);
      return batch.length;
    },
    messageCount: () => emu.repos.messages.count(),
  },
  async () => {
    await sandbox.close();
    rmSync(dir, { recursive: true, force: true });
  },
);
