import { AdminError } from "../max/emulator/admin.js";
import type { MaxEmulatorServer } from "../max/emulator/server.js";

export type SeedName = "demo" | "none";

/** The demo accounts (`--seed demo`); phones are in the +7 900 000-00-0x range nobody owns. */
export const DEMO_MAX_USERS = [
  { phone: "+79000000001", firstName: "Анна", lastName: "Смирнова", password: "anna-2fa" },
  { phone: "+79000000002", firstName: "Борис", lastName: "Иванов" },
  { phone: "+79000000003", firstName: "Светлана", lastName: "Кузнецова" },
  { phone: "+79000000004", firstName: "Дмитрий", lastName: "Орлов" },
] as const satisfies readonly { phone: string; firstName: string; lastName: string; password?: string }[];

export interface SeededUser {
  phone: string;
  name: string;
  userId: number;
  /** False when the account was already there (a restart on the same `--data`). */
  created: boolean;
  /** The demo 2FA password, if the account has one. */
  password?: string;
}

/**
 * Creates the demo MAX users. Idempotent: on a restart with the same database the existing
 * accounts are kept as they are (even if the user has since changed them).
 */
export function seedDemo(max: MaxEmulatorServer): SeededUser[] {
  const out: SeededUser[] = [];
  for (const user of DEMO_MAX_USERS) {
    const password = "password" in user ? user.password : undefined;
    let userId: number;
    let created = true;
    try {
      userId = max.admin.createUser({ ...user }).userId;
    } catch (err) {
      if (!(err instanceof AdminError) || err.status !== 409) throw err;
      const existing = max.emu.repos.users.byPhone(user.phone);
      if (!existing) throw err;
      userId = existing.id;
      created = false;
    }
    out.push({ phone: user.phone, name: `${user.firstName} ${user.lastName}`, userId, created, password });
  }
  // Conversations only on the first start: a restart must not post them again.
  if (out.every((u) => u.created))
    seedDemoChats(
      max,
      out.map((u) => u.userId),
    );
  return out;
}

/** A team group, a news channel and a dialog, so a fresh login sees a lived-in account. */
function seedDemoChats(max: MaxEmulatorServer, [anna, boris, sveta, dima]: number[]): void {
  if (!anna || !boris || !sveta || !dima) return;
  const { chatId: team } = max.admin.createChat({
    ownerId: anna,
    type: "CHAT",
    title: "Команда проекта",
    memberIds: [boris, sveta, dima],
  });
  const { chatId: news } = max.admin.createChat({
    ownerId: sveta,
    type: "CHANNEL",
    title: "Новости Switchboard",
    memberIds: [anna, boris, dima],
  });
  const say = (fromUserId: number, text: string, to: { chatId: number } | { toUserId: number }) =>
    max.admin.sendMessage({ fromUserId, text, ...to });
  say(anna, "Всем привет! Здесь обсуждаем релиз.", { chatId: team });
  say(boris, "Привет! Сборка готова, тесты зелёные.", { chatId: team });
  say(dima, "Отлично, завтра выкатываем.", { chatId: team });
  say(sveta, "Sandbox теперь эмулирует MAX целиком.", { chatId: news });
  say(boris, "Анна, посмотришь мой PR?", { toUserId: anna });
  say(anna, "Да, после обеда.", { toUserId: boris });
}
