/**
 * Issue 12 item 5: SMS login brute force. Code requests (17) and checks (18) are limited per
 * phone and per connection with `error.rate_limited`; other phones and connections stay served;
 * the window moves on the injected clock (no sleeping).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ManualClock } from "../../src/core/emulator/clock.js";
import {
  AUTH_WINDOW_MS,
  CODE_CHECKS_PER_CONNECTION,
  CODE_REQUESTS_PER_PHONE,
} from "../../src/max/emulator/handlers/auth-limits.js";
import { expectErrorPacket, RawClient, startEmulator } from "./raw.js";

const clock = new ManualClock(Date.UTC(2026, 0, 1));
let emu: Awaited<ReturnType<typeof startEmulator>>;
const clients: RawClient[] = [];
let phoneSeq = 0;
const nextPhone = () => `+7912800${String(++phoneSeq).padStart(4, "0")}`;

async function connect(): Promise<RawClient> {
  const c = await RawClient.connect(emu.url);
  clients.push(c);
  await c.hello();
  return c;
}

const start = (c: RawClient, phone: string) => c.call(17, { phone, type: "START_AUTH", language: "ru" });

/** 17 → 18 with the right code on a socket that already sent hello; the new user's id. */
async function login(c: RawClient, phone: string): Promise<number> {
  const s = await c.ok(17, { phone, type: "START_AUTH", language: "ru" });
  const done = await c.ok(18, { token: s.token, verifyCode: "123456", authTokenType: "CHECK_CODE" });
  return done.profile.contact.id;
}

beforeAll(async () => {
  emu = await startEmulator({ clock, smsCode: "123456" });
});

afterAll(async () => {
  for (const c of clients) c.close();
  await emu.close();
});

describe("item 5: SMS code brute force", () => {
  it("new codes for one phone are cut off; another phone is served; the window moves on", async () => {
    const attacker = await connect();
    const victim = nextPhone();
    let served = 0;
    let refused: Awaited<ReturnType<typeof start>> | undefined;
    for (let i = 0; i < 200 && !refused; i++) {
      const p = await start(attacker, victim);
      if (p.cmd === 1) {
        served++;
        expect(p.payload.requestCountLeft).toBe(CODE_REQUESTS_PER_PHONE - served);
      } else refused = p;
    }
    expect(refused, "code requests were never limited").toBeDefined();
    expectErrorPacket(refused as NonNullable<typeof refused>, 17, "error.rate_limited");
    expect(served).toBe(CODE_REQUESTS_PER_PHONE);
    // The phone is limited from any connection; another phone is served, also on the same socket.
    const other = await connect();
    expectErrorPacket(await start(other, victim), 17, "error.rate_limited");
    expect((await start(other, nextPhone())).cmd).toBe(1);
    expect(await login(other, nextPhone())).toBeGreaterThan(0);
    // Once the window has passed, the phone gets codes again.
    clock.advance(AUTH_WINDOW_MS + 1);
    expect((await start(attacker, victim)).cmd).toBe(1);
  });

  it("guessing codes is cut off quickly, while another connection logs in", async () => {
    const attacker = await connect();
    const bystander = await connect();
    let guesses = 0;
    let cutOff = false;
    for (let round = 0; round < 100 && !cutOff; round++) {
      const s = await start(attacker, nextPhone());
      if (s.cmd !== 1) {
        cutOff = true;
        break;
      }
      for (let g = 0; g < 5 && !cutOff; g++) {
        const p = await attacker.call(18, {
          token: s.payload.token,
          verifyCode: String(100000 + round * 5 + g),
          authTokenType: "CHECK_CODE",
        });
        guesses++;
        if (p.payload?.error === "error.rate_limited") cutOff = true;
        else expectErrorPacket(p, 18, "error.code.wrong");
      }
      if (round === 2) {
        // Mid-attack, another client is served.
        expect(await login(bystander, nextPhone())).toBeGreaterThan(0);
      }
    }
    expect(cutOff, "code checks were never limited").toBe(true);
    // The wrong guesses answered, plus the refused one.
    expect(guesses).toBe(CODE_CHECKS_PER_CONNECTION + 1);
    const fresh = await connect();
    expect(await login(fresh, nextPhone())).toBeGreaterThan(0);
    clock.advance(AUTH_WINDOW_MS + 1);
  });
});
