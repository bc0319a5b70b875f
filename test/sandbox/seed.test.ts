/**
 * Declarative seeds: the shipped demo world checked through each platform's own wire (MAX
 * WebSocket, MaxIM REST, WebQQ client, VK Live REST), validation errors, and idempotency.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Sqlite from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  loadDemoSeed,
  parseSeed,
  type Sandbox,
  SandboxStartError,
  SeedError,
  startSandbox,
  validateSeed,
} from "../../src/sandbox/index.js";
import { WebQQClient } from "../../src/webqq/client/index.js";
import { RawClient } from "../max/raw.js";
import { api, runCli, startCliSandbox } from "./proc.js";

// biome-ignore lint/suspicious/noExplicitAny: tests inspect arbitrary JSON answers
type Json = any;

const dir = mkdtempSync(join(tmpdir(), "sb-seed-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/**
 * The error a seed gives: YAML problems when it is read, section problems (each platform's schema
 * and references) when a sandbox starts with it. Fails the test if the seed is accepted.
 */
async function seedError(text: string | object, source = "x.yaml"): Promise<string> {
  let loaded: ReturnType<typeof parseSeed>;
  try {
    loaded = typeof text === "string" ? parseSeed(text, source) : validateSeed(text);
  } catch (err) {
    expect(err).toBeInstanceOf(SeedError);
    return (err as Error).message;
  }
  const err = await startSandbox({ port: 0, data: null, seed: loaded }).then(
    async (sb) => {
      await sb.close();
      throw new Error("seed was accepted");
    },
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(SandboxStartError);
  expect((err as Error).cause).toBeInstanceOf(SeedError);
  return (err as Error).message;
}

describe("the demo seed on a fresh memory sandbox", () => {
  let sb: Sandbox;
  beforeAll(async () => {
    sb = await startSandbox({ port: 0, data: null, seed: "demo", smsCode: "123456" });
  });
  afterAll(() => sb?.close());

  it("reports the MAX demo users like before, and accounts of every platform", () => {
    expect(sb.seeded.map((u) => u.phone)).toEqual([
      "+79000000001",
      "+79000000002",
      "+79000000003",
      "+79000000004",
    ]);
    expect(sb.seeded[0]).toMatchObject({ name: "Анна Смирнова", password: "anna-2fa", created: true });
    const platforms = new Set(sb.seedReport?.accounts.map((a) => a.platform));
    expect([...platforms].sort()).toEqual(["max", "maxbot", "maxim", "vklive", "webqq"]);
  });

  it("MAX: a demo user logs in and sees the team group and the channel", async () => {
    const client = await RawClient.connect(sb.urls.max);
    try {
      const { token } = await client.smsLogin("+79000000002");
      const again = await RawClient.connect(sb.urls.max);
      const login = await again.tokenLogin(token);
      again.close();
      const titles = (login.chats as { title?: string }[]).map((c) => c.title);
      expect(titles).toEqual(expect.arrayContaining(["Команда проекта", "Новости Switchboard"]));
    } finally {
      client.close();
    }
  });

  it("MaxIM: the group, its members and messages are there via REST with the demo admin token", async () => {
    const headers = { app_id: "switchboard-demo", "access-token": "demo-admin-token" };
    const alice = await fetch(`${sb.urls.maxim}/token/user`, {
      method: "POST",
      headers: { app_id: "switchboard-demo", "content-type": "application/json" },
      body: JSON.stringify({ name: "alice", password: "alice-pass" }),
    }).then((r) => r.json() as Promise<Json>);
    expect(alice.code).toBe(200);
    const aliceId = alice.data.user_id as number;
    const groups = await fetch(`${sb.urls.maxim}/group/user_joined`, {
      headers: { ...headers, user_id: String(aliceId) },
    }).then((r) => r.json() as Promise<Json>);
    expect(groups.code).toBe(200);
    const [groupId] = groups.data as number[];
    const info = await fetch(`${sb.urls.maxim}/group/info?group_id=${groupId}`, { headers }).then(
      (r) => r.json() as Promise<Json>,
    );
    expect(info.data.name).toBe("Product team");
    const members = await fetch(`${sb.urls.maxim}/group/member_list?group_id=${groupId}`, {
      headers: { ...headers, user_id: String(aliceId) },
    }).then((r) => r.json() as Promise<Json>);
    expect(members.code).toBe(200);
    expect(JSON.stringify(members.data).match(/user_id/g)).toHaveLength(3);
    const messages = sb.maxim.admin.messages("switchboard-demo");
    expect(messages.map((m) => m.content)).toContain("Morning! Stand-up in 10 minutes.");
    const rosters = await fetch(`${sb.urls.maxim}/user/rosters`, {
      headers: { ...headers, user_id: String(aliceId) },
    }).then((r) => r.json() as Promise<Json>);
    expect(rosters.data.map((r: { name: string }) => r.name).sort()).toEqual(["bob", "carol"]);
  });

  it("WebQQ: a demo account logs in and lists its group, discussion and friends", async () => {
    const c = new WebQQClient({ url: sb.urls.webqq, backoffBaseMs: 5, pollTimeoutMs: 5000 });
    try {
      await c.passwordLogin({ qq: 10003, password: "laowang-pw" });
      expect(JSON.stringify(await c.groups())).toContain("技术交流群");
      expect(JSON.stringify(await c.discussions())).toContain("周末爬山");
      expect(JSON.stringify(await c.friends())).toContain("小明");
    } finally {
      await c.close();
    }
    expect(sb.webqq.admin.stats().messages).toBeGreaterThanOrEqual(4);
  });

  it("VK Live: the demo channel is live with chat messages (REST, admin-issued token)", async () => {
    const users = await api(sb.urls.console, "POST", "/_sandbox/vklive/users", { nick: "probe" });
    const token = await api(sb.urls.console, "POST", "/_sandbox/vklive/tokens", {
      clientId: "demo-app",
      userId: users.body.userId,
      scopes: [],
    });
    expect(token.status).toBe(200);
    const auth = { authorization: `Bearer ${token.body.access_token}` };
    const chat = await fetch(`${sb.urls.vklive}/v1/chat/messages?channel_url=pixel_streamer&limit=50`, {
      headers: auth,
    }).then((r) => r.json() as Promise<Json>);
    const texts = JSON.stringify(chat);
    expect(texts).toContain("Привет всем!");
    expect(texts).toContain("Что сегодня строим?");
    const channel = await fetch(`${sb.urls.vklive}/v1/channel?channel_url=pixel_streamer`, {
      headers: auth,
    }).then((r) => r.json() as Promise<Json>);
    expect(JSON.stringify(channel)).toContain("Собираем бота для стрима");
  });
});

describe("seed validation", () => {
  it("the shipped demo file is valid", () => {
    // Its sections pass their platforms' checks: the demo sandbox above starts with it.
    const demo = loadDemoSeed().seed as Json;
    expect(demo.max?.users).toHaveLength(4);
    expect(demo.vklive?.channels[0]?.stream).toBeDefined();
  });

  it("names the file, line, YAML path and problem of an unknown key", async () => {
    const msg = await seedError(
      "max:\n  users:\n    - phone: '+79001112233'\n      firstName: A\n      nickname: x\n",
    );
    expect(msg).toContain("x.yaml:5:");
    expect(msg).toContain("max.users[0].nickname");
    expect(msg).toContain('unknown key "nickname"');
  });

  it("rejects dangling references with the path of the reference", async () => {
    const msg = await seedError(
      [
        "vklive:",
        "  users: [{ nick: a }]",
        "  channels:",
        "    - { url: chan, owner: a, followers: [ghost] }",
      ].join("\n"),
    );
    expect(msg).toContain("vklive.channels[0].followers[0]");
    expect(msg).toContain("no VK Live user with nick ghost");
    const max = await seedError("max:\n  messages: [{ from: '+79001112233', chat: Nope, text: hi }]\n");
    expect(max).toContain("max.messages[0].from: no MAX user with phone +79001112233");
    expect(max).toContain('max.messages[0].chat: no MAX chat titled "Nope"');
  });

  it("rejects wrong types and bad YAML", async () => {
    expect(await seedError("webqq:\n  accounts: [{ qq: abc, password: p, nick: n }]\n")).toContain(
      "webqq.accounts[0].qq",
    );
    expect(
      await seedError("maxim:\n  apps:\n    - appId: x\n      users: [{ username: '123', password: p }]\n"),
    ).toContain("maxim.apps[0].users[0].username");
    expect(await seedError("max: [1, 2\n")).toMatch(/x\.yaml:\d+:\d+: YAML:/);
    expect(await seedError({ max: { users: [{ phone: "+79001112233" }] } })).toMatch(
      /max\.users\[0\]\.firstName: is required/,
    );
  });
});

describe("seed files via the CLI", () => {
  const cli = (args: string[]) => runCli(args);

  it("a custom YAML seed from a temp file builds its world; re-applying on the same DB is idempotent", async () => {
    const file = join(dir, "custom.yaml");
    writeFileSync(
      file,
      [
        "max:",
        "  users:",
        "    - { phone: '+79005550001', firstName: Ира }",
        "    - { phone: '+79005550002', firstName: Олег }",
        "  chats: [{ type: CHAT, title: Дача, owner: '+79005550001', members: ['+79005550002'] }]",
        "  messages: [{ from: '+79005550002', chat: Дача, text: Кто везёт мангал? }]",
        "vklive:",
        "  apps: [{ redirectUri: 'http://localhost/cb', clientId: my-app, secret: my-secret-1 }]",
        "  users: [{ nick: host }, { nick: guest }]",
        "  channels:",
        "    - url: host",
        "      owner: host",
        "      stream: { title: Test stream, category: music }",
        "      messages: [{ from: guest, text: hello }]",
      ].join("\n"),
    );
    const data = join(dir, "custom", "sandbox.db");
    for (let run = 0; run < 2; run++) {
      const sb = await startCliSandbox(["--data", data, "--seed", file, "--log-level", "info"]);
      try {
        const dup = await api(sb.urls.console, "POST", "/_sandbox/max/users", {
          phone: "+79005550001",
          firstName: "Ира",
        });
        expect(dup.status).toBe(409);
        const token = await api(sb.urls.console, "POST", "/_sandbox/vklive/tokens", {
          clientId: "my-app",
          userId: 1,
          scopes: [],
        });
        expect(token.status).toBe(200);
        // The fixed secret works on the OAuth token endpoint.
        const grant = await fetch(`${sb.urls.vklive}/oauth/server/token`, {
          method: "POST",
          headers: {
            "content-type": "application/x-www-form-urlencoded",
            authorization: `Basic ${Buffer.from("my-app:my-secret-1").toString("base64")}`,
          },
          body: "grant_type=client_credentials",
        });
        expect(grant.status).toBe(200);
        const chat = await fetch(`${sb.urls.vklive}/v1/chat/messages?channel_url=host&limit=50`, {
          headers: { authorization: `Bearer ${token.body.access_token}` },
        }).then((r) => r.json() as Promise<Json>);
        expect(chat.data.chat_messages).toHaveLength(1);
        if (run === 1) expect(sb.stderr()).toContain("already there");
      } finally {
        expect(await sb.stop("SIGTERM")).toBe(0);
      }
    }
    const db = new Sqlite(data, { readonly: true });
    try {
      const n = (sql: string) => (db.prepare(sql).get() as { n: number }).n;
      expect(n("SELECT count(*) AS n FROM max_users")).toBe(2);
      expect(n("SELECT count(*) AS n FROM max_chats WHERE type = 'CHAT'")).toBe(1);
      expect(n("SELECT count(*) AS n FROM max_messages WHERE type = 'USER'")).toBe(1);
      expect(n("SELECT count(*) AS n FROM vklive_users")).toBe(2);
      expect(n("SELECT count(*) AS n FROM vklive_apps")).toBe(1);
      expect(n("SELECT count(*) AS n FROM vklive_streams")).toBe(1);
      expect(n("SELECT count(*) AS n FROM vklive_messages")).toBe(1);
    } finally {
      db.close();
    }
  });

  it("bad seeds exit 1 before listening, naming the path", async () => {
    const cases: [string, RegExp][] = [
      [
        "max:\n  users: [{ phone: '+79001112233', firstName: A, age: 3 }]\n",
        /max\.users\[0\]\.age: unknown key/,
      ],
      [
        "webqq:\n  accounts: [{ qq: 10001, password: p, nick: n }]\n  friends: [[10001, 10002]]\n",
        /webqq\.friends\[0\]\[1\]: no WebQQ account 10002/,
      ],
      ["vklive:\n  users: [{ nick: 5 }]\n", /vklive\.users\[0\]\.nick: .*string/],
    ];
    for (const [i, [text, pattern]] of cases.entries()) {
      const file = join(dir, `bad-${i}.yml`);
      writeFileSync(file, text);
      const run = await cli(["sandbox", "--port", "0", "--json", "--memory", "--seed", file]);
      expect(await run.exited).toBe(1);
      expect(run.stdout()).toBe("");
      expect(run.stderr()).toContain(file);
      expect(run.stderr()).toMatch(pattern);
    }
    const missing = await cli([
      "sandbox",
      "--port",
      "0",
      "--json",
      "--memory",
      "--seed",
      join(dir, "nope.yaml"),
    ]);
    expect(await missing.exited).toBe(1);
    expect(missing.stderr()).toContain("no such file");
    const notYaml = await cli(["sandbox", "--port", "0", "--json", "--memory", "--seed", "seed.txt"]);
    expect(await notYaml.exited).toBe(1);
    expect(notYaml.stderr()).toContain(".yaml/.yml");
    // Five CLI starts one after another (each compiles through tsx): slow on a loaded 2-core machine.
  }, 120_000);
});
