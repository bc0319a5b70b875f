import { mkdtempSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Command } from "commander";
import { afterAll, beforeAll, expect, it } from "vitest";
import { registerWebQQCommands } from "../../src/cli/webqq.js";
import { ALICE, BOB, type Harness, seedWorld, startEmulator, until } from "./harness.js";

let h: Harness;
const dir = mkdtempSync(join(tmpdir(), "webqq-cli-"));
// `login` saves a profile in the config folder: keep it in the test's own folder.
process.env.XDG_CONFIG_HOME = join(dir, "config");
beforeAll(async () => {
  h = await startEmulator({ pollTimeoutMs: 200 });
  seedWorld(h.emu);
});
afterAll(async () => h.close());

async function run(args: string[], ask: () => string = () => "") {
  const out: string[] = [];
  const err: string[] = [];
  const program = new Command().exitOverride();
  registerWebQQCommands(program, {
    out: (l) => out.push(l),
    err: (l) => err.push(l),
    ask: async () => ask(),
  });
  const p = program.parseAsync(["node", "switchboard", "webqq", ...args, "--endpoint", h.base, "--json"], {
    from: "node",
  });
  return { p, out, err };
}

it("login, friends, groups, send and tail", async () => {
  const alice = join(dir, "alice.json");
  const bob = join(dir, "bob.json");
  let r = await run(["login", "--qq", String(ALICE), "--password", "1234567890", "--session", alice]);
  await r.p;
  expect(JSON.parse(r.out[0]!)).toMatchObject({ qq: ALICE, uin: ALICE });
  expect(statSync(alice).mode & 0o777).toBe(0o600);
  h.emu.admin.setCaptcha(BOB, true);
  const qrFile = join(dir, "cap.png");
  // The captcha answer comes from the sandbox inbox, as a user would read it off the picture.
  r = await run(
    ["login", "--qq", String(BOB), "--password", "pw-bob", "--session", bob, "--qr-file", qrFile],
    () => h.emu.admin.captcha(BOB) ?? "",
  );
  await r.p;
  expect(statSync(qrFile).size).toBeGreaterThan(50);
  expect(JSON.parse(r.out[0]!)).toMatchObject({ qq: BOB });
  h.emu.admin.setCaptcha(BOB, false);

  r = await run(["friends", "--session", alice]);
  await r.p;
  const friends = r.out.map((l) => JSON.parse(l));
  expect(friends).toHaveLength(2);
  const bobChat = friends.find((f) => f.nick.startsWith("呼吸")).chat as string;
  r = await run(["groups", "--session", alice]);
  await r.p;
  expect(r.out.map((l) => JSON.parse(l).name)).toEqual(["qqbot群", "good day"]);

  const tail = await run(["tail", "--session", bob, "--count", "1"]);
  await until(() => h.emu.admin.stats().polling >= 1);
  r = await run(["send", bobChat, "hello [face:14]", "--session", alice]);
  await r.p;
  expect(JSON.parse(r.out[0]!)).toMatchObject({ ok: true });
  await tail.p;
  const ev = JSON.parse(tail.out[0]!);
  expect(ev.type).toBe("message.created");
  expect(ev.message.content).toEqual([
    { type: "text", text: "hello " },
    { type: "emoji", id: "14", name: "face 14" },
  ]);
});

it("one-shot `webqq send` runs on one session file: every send answered ok arrives (issue 12 item 1)", async () => {
  const alice = join(dir, "alice-oneshot.json");
  let r = await run(["login", "--qq", String(ALICE), "--password", "1234567890", "--session", alice]);
  await r.p;
  r = await run(["friends", "--session", alice]);
  await r.p;
  const bobChat = r.out.map((l) => JSON.parse(l)).find((f) => f.nick.startsWith("呼吸")).chat as string;
  const before = h.emu.admin.stats().messages;
  const ids = new Set<number>();
  for (let i = 0; i < 100; i++) {
    r = await run(["send", bobChat, `cli ${i}`, "--session", alice]);
    await r.p;
    const answer = JSON.parse(r.out[0]!) as { ok: boolean; msg_id: number };
    expect(answer.ok).toBe(true);
    ids.add(answer.msg_id);
  }
  // Each run continues the msg_id counter kept in the session file: no id repeats, none dropped.
  expect(ids.size).toBe(100);
  expect(h.emu.admin.stats().messages - before).toBe(100);
}, 180_000);
