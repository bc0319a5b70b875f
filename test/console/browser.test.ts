/**
 * The console in real Chromium (Debian's `chromium`, driven by playwright-core): write as one
 * MAX user and see a client of another receive it, drop a client from the Faults tab and watch
 * it reconnect, confirm a QR login from the inbox. Screenshots go to test-artifacts/console/.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type BrowserContext, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MaxClient } from "../../src/max/client/index.js";
import type { StateEvent } from "../../src/max/client/types.js";
import { type Sandbox, startSandbox } from "../../src/sandbox/index.js";
import { nextEvent } from "../max/client-helpers.js";
import { RawClient } from "../max/raw.js";

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const ARTIFACTS = join(process.cwd(), "test-artifacts", "console");
const ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

// Only a developer machine without Chromium skips these; in CI (CI=true) a missing browser fails.
describe.skipIf(!existsSync(CHROMIUM) && !process.env.CI)(`sandbox console in Chromium (${CHROMIUM})`, () => {
  let sb: Sandbox;
  let context: BrowserContext;
  let page: Page;
  let profileDir: string;
  let boris: MaxClient;
  let annaId: string;
  let borisId: string;
  const states: StateEvent["state"][] = [];
  const teamId = async () =>
    (await page.locator("#chats li", { hasText: "Команда проекта" }).getAttribute("data-chat-id")) ?? "";
  const shot = (name: string) => page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    sb = await startSandbox({ port: 0, data: null, seed: "demo" });
    annaId = String(sb.seeded[0]?.userId);
    borisId = String(sb.seeded[1]?.userId);
    profileDir = mkdtempSync(join(tmpdir(), "sb-chromium-"));
    // A persistent context is how playwright takes a fresh --user-data-dir of our choosing.
    context = await chromium.launchPersistentContext(profileDir, {
      executablePath: CHROMIUM,
      headless: true,
      args: ARGS,
      viewport: { width: 1400, height: 860 },
    });
    page = context.pages()[0] ?? (await context.newPage());
    // Nothing but the sandbox: any other request is a bug (the console must work offline).
    await page.route(
      (url) => !url.href.startsWith(sb.urls.console),
      (route) => route.abort(),
    );
    await page.goto(sb.urls.console);
    await page.locator("#live.on").waitFor();
    await page.locator(`#accounts li[data-account-id="${annaId}"]`).waitFor();
  }, 30_000);

  afterAll(async () => {
    await boris?.close().catch(() => {});
    await context?.close();
    await sb?.close();
    if (profileDir) rmSync(profileDir, { recursive: true, force: true });
  });

  it("signs a MaxClient in with the SMS code read from the console inbox", async () => {
    boris = new MaxClient({
      url: sb.urls.max,
      timeoutMs: 5000,
      reconnect: { baseMs: 50, maxMs: 300 },
    });
    boris.on("state", (e) => {
      states.push(e.state);
    });
    await boris.connect();
    await boris.requestCode("+79000000002");
    await page.locator('#views button[data-view="inbox"]').click();
    const code = page
      .locator('#inbox tr[data-kind="sms"]', { hasText: "+79000000002" })
      .locator("code.value");
    await code.waitFor();
    const sms = (await code.textContent()) ?? "";
    expect(sms).toMatch(/^\d{6}$/);
    expect((await boris.signIn(sms)).status).toBe("ok");
    await shot("01-inbox-sms");
  });

  it("writes as Анна in the team group and Борис's client receives it", async () => {
    await page.locator("#as-select").selectOption(annaId);
    await page.locator("#chats li", { hasText: "Команда проекта" }).click();
    await page.locator("#messages li", { hasText: "Отлично, завтра выкатываем." }).waitFor();
    const received = nextEvent(boris, "message", (e) => e.message.text === "Привет из Chromium");
    await page.locator("#compose-text").fill("Привет из Chromium");
    await expect(page.locator("#compose-send").textContent()).resolves.toContain("Анна");
    await page.locator("#compose-send").click();
    const event = await received;
    expect(String(event.message.sender)).toBe(annaId);
    await page.locator("#messages li.mine", { hasText: "Привет из Chromium" }).waitFor();

    // Борис answers from his client; the page updates live.
    await boris.sendMessage(event.chatId, "Вижу, спасибо!");
    await page.locator("#messages li", { hasText: "Вижу, спасибо!" }).waitFor();
    await shot("02-chat");
  });

  it("drops Борис's connection from the Faults tab and the client reconnects", async () => {
    await page.locator('#views button[data-view="faults"]').click();
    const form = page.locator('#faults form[data-fault="drop"]');
    await form.locator('select[name="account"]').selectOption(borisId);
    states.length = 0;
    const back = nextEvent(boris, "state", (e) => e.state === "connected", 10_000);
    await form.locator('button[type="submit"]').click();
    await back;
    expect(states[0]).toBe("reconnecting");
    expect(states.at(-1)).toBe("connected");
    await page.locator("#notices li", { hasText: "dropped 1 connection" }).waitFor();
    // Still usable after the reconnect.
    const [team] = await boris.getChats([Number(await teamId())]);
    expect(team?.id).toBe(Number(await teamId()));
    await shot("03-faults-drop");
  });

  it("confirms a QR login from the inbox; the raw client polls 289 and finishes with 291", async () => {
    const qr = await RawClient.connect(sb.urls.max);
    try {
      await qr.hello();
      const { trackId } = await qr.ok(288, {});
      await page.locator("#as-select").selectOption(borisId);
      await page.locator('#views button[data-view="inbox"]').click();
      const confirm = page.locator(`button[data-confirm="qr:${trackId}"]`);
      await confirm.waitFor();
      expect((await qr.ok(289, { trackId })).status.loginAvailable).toBe(false);
      await confirm.click();
      await page.locator(`#inbox tr[data-inbox-id="qr:${trackId}"][data-status="confirmed"]`).waitFor();

      // The page shows "confirmed" once the server confirmed it: the next poll must see it.
      expect((await qr.ok(289, { trackId })).status.loginAvailable).toBe(true);
      const done = await qr.ok(291, { trackId });
      expect(String(done.profile.contact.id)).toBe(borisId);
      await shot("04-inbox-qr-confirmed");
    } finally {
      qr.close();
    }
  });

  it("shows the packets in the traffic inspector with secrets masked", async () => {
    await page.locator('#views button[data-view="traffic"]').click();
    await page.locator('#traffic-filter input[name="opcode"]').fill("291");
    const answer = page.locator('#traffic tr[data-opcode="291"][data-dir="out"]').first();
    await answer.waitFor();
    await answer.click();
    const detail = (await page.locator("#traffic-detail").textContent()) ?? "";
    expect(detail).toContain('"opcodeName": "QR_FINISH"');
    expect(detail).toContain("[redacted]");
    await shot("05-traffic");
  });

  it("shows MaxIM's apps, users and pushes in its Tables view", async () => {
    await page.locator('#platforms button[data-platform="maxim"]').click();
    await page.locator('#views button[data-view="tables"]').click();
    await page.locator('#tables section[data-table="apps"] td', { hasText: "welovemaxim" }).waitFor();
    await page.locator('#tables section[data-table="pushes"]').waitFor();
    await shot("06-maxim-tables");
  });

  it("VK Live's '+' creates a channel as the acting user; WebQQ has no '+'; MAX lists no faults when none", async () => {
    await page.locator('#platforms button[data-platform="webqq"]').click();
    await page.locator("#chats li").first().waitFor();
    expect(await page.locator("#new-chat-toggle").isHidden()).toBe(true);

    await page.locator('#platforms button[data-platform="vklive"]').click();
    await page.locator("#chats li").first().waitFor();
    await page.locator("#as-select").selectOption("2");
    await page.locator("#new-chat-toggle").click();
    const form = page.locator("#new-chat");
    expect(await form.locator('select[name="kind"] option').allTextContents()).toEqual(["channel"]);
    await form.locator('input[name="title"]').fill("fan_channel");
    await form.locator('select[name="members"]').selectOption(["3"]);
    await form.locator('button[type="submit"]').click();
    await page.locator('#chats li[data-chat-id="fan_channel"]', { hasText: "stream · 1" }).waitFor();
    // The log lives in the (hidden) Faults view.
    await page.locator("#notices li", { hasText: "created fan_channel" }).waitFor({ state: "attached" });
    await shot("07-vklive-new-channel");

    await page.locator('#platforms button[data-platform="max"]').click();
    await page.locator('#views button[data-view="tables"]').click();
    await page.locator('#tables section[data-table="faults"] h3', { hasText: "Active faults (0)" }).waitFor();
  });
});
