import { existsSync, mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Sqlite from "better-sqlite3";
import { afterAll, describe, expect, it } from "vitest";
import { RawClient } from "../max/raw.js";
import { api, startCliSandbox } from "./proc.js";

const dir = mkdtempSync(join(tmpdir(), "sb-persist-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("sandbox --data survives a restart", () => {
  it("keeps users and login tokens across SIGTERM and a new process", async () => {
    const data = join(dir, "one", "sandbox.db");
    const phone = "+79007770001";

    const first = await startCliSandbox(["--data", data, "--log-level", "silent"]);
    const created = await api(first.urls.console, "POST", "/_sandbox/max/users", {
      phone,
      firstName: "Вера",
      lastName: "Павлова",
    });
    expect(created.status).toBe(200);
    const client = await RawClient.connect(first.urls.max);
    await client.hello();
    const start = await client.ok(17, { phone, type: "START_AUTH", language: "ru" });
    const { body: sms } = await api(
      first.urls.console,
      "GET",
      `/_sandbox/max/sms?phone=${encodeURIComponent(phone)}`,
    );
    const done = await client.ok(18, {
      token: start.token,
      verifyCode: sms.code,
      authTokenType: "CHECK_CODE",
    });
    const token: string = done.tokenAttrs.LOGIN.token;
    expect(await first.stop("SIGTERM")).toBe(0);

    // A clean shutdown folds the WAL back into the database file; uploads get a folder beside it.
    const wal = `${data}-wal`;
    expect(!existsSync(wal) || statSync(wal).size === 0).toBe(true);
    expect(existsSync(join(dir, "one", "files"))).toBe(true);

    const second = await startCliSandbox(["--data", data, "--log-level", "silent"]);
    try {
      const again = await RawClient.connect(second.urls.max);
      const login = await again.tokenLogin(token);
      expect(login.profile.contact.id).toBe(created.body.userId);
      again.close();
      const dup = await api(second.urls.console, "POST", "/_sandbox/max/users", { phone, firstName: "Вера" });
      expect(dup.status).toBe(409);
    } finally {
      expect(await second.stop("SIGTERM")).toBe(0);
    }
  });

  it("--seed demo is idempotent on the same database", async () => {
    const data = join(dir, "demo", "sandbox.db");
    for (let run = 0; run < 2; run++) {
      const sb = await startCliSandbox(["--data", data, "--seed", "demo", "--sms-code", "111222"]);
      try {
        // Анна has a 2FA password: the code step answers with a password challenge.
        const client = await RawClient.connect(sb.urls.max);
        await client.hello();
        const start = await client.ok(17, { phone: "+79000000001", type: "START_AUTH", language: "ru" });
        const step = await client.ok(18, {
          token: start.token,
          verifyCode: "111222",
          authTokenType: "CHECK_CODE",
        });
        expect(step.passwordChallenge.trackId).toEqual(expect.any(String));
        const done = await client.ok(115, { trackId: step.passwordChallenge.trackId, password: "anna-2fa" });
        expect(done.profile.contact.names[0]).toMatchObject({ firstName: "Анна", lastName: "Смирнова" });
        client.close();
        // The SMS code is logged on purpose (the sandbox's inbox); tokens never are.
        expect(sb.stderr()).not.toContain(done.tokenAttrs.LOGIN.token);
        expect(sb.stderr()).not.toContain(start.token);
        expect(sb.stderr()).toContain("+79000000001");
        expect(sb.stderr()).toContain("SMS code for +79000000001: 111222");
      } finally {
        expect(await sb.stop("SIGTERM")).toBe(0);
      }
    }
    const db = new Sqlite(data, { readonly: true });
    try {
      const row = db.prepare("SELECT count(*) AS n FROM max_users WHERE phone LIKE '+7900000000_'").get() as {
        n: number;
      };
      expect(row.n).toBe(4);
      // The demo conversations were posted once, on the first start only.
      const chats = db.prepare("SELECT type, count(*) AS n FROM max_chats GROUP BY type ORDER BY type").all();
      expect(chats).toEqual([
        { type: "CHANNEL", n: 1 },
        { type: "CHAT", n: 1 },
        { type: "DIALOG", n: 1 },
      ]);
      const messages = db.prepare("SELECT count(*) AS n FROM max_messages WHERE type = 'USER'").get() as {
        n: number;
      };
      expect(messages.n).toBe(6);
      // The other platforms' demo worlds, once too.
      const n = (sql: string) => (db.prepare(sql).get() as { n: number }).n;
      expect(n("SELECT count(*) AS n FROM maxim_users WHERE app_id = 'switchboard-demo'")).toBe(3);
      expect(n("SELECT count(*) AS n FROM maxim_groups WHERE app_id = 'switchboard-demo'")).toBe(1);
      expect(n("SELECT count(*) AS n FROM maxim_messages WHERE app_id = 'switchboard-demo'")).toBe(4);
      // No throwaway admin token of the seeding is left behind.
      expect(n("SELECT count(*) AS n FROM maxim_admin_tokens WHERE app_id = 'switchboard-demo'")).toBe(0);
      expect(n("SELECT count(*) AS n FROM webqq_accounts")).toBe(3);
      expect(n("SELECT count(*) AS n FROM webqq_groups")).toBe(1);
      expect(n("SELECT count(*) AS n FROM webqq_discus")).toBe(1);
      expect(n("SELECT count(*) AS n FROM webqq_messages")).toBe(4);
      expect(n("SELECT count(*) AS n FROM vklive_users")).toBe(4);
      expect(n("SELECT count(*) AS n FROM vklive_channels")).toBe(1);
      expect(n("SELECT count(*) AS n FROM vklive_streams")).toBe(1);
      expect(n("SELECT count(*) AS n FROM vklive_messages")).toBe(4);
      expect(n("SELECT count(*) AS n FROM vklive_follows")).toBe(3);
    } finally {
      db.close();
    }
  });
});
