import { describe, expect, it } from "vitest";
import { createLogger } from "../../src/core/log.js";

function capture(): { lines: string[]; destination: { write(line: string): void } } {
  const lines: string[] = [];
  return { lines, destination: { write: (line: string) => lines.push(line) } };
}

describe("createLogger", () => {
  it("never writes tokens, passwords or verification codes", () => {
    const { lines, destination } = capture();
    const log = createLogger({ level: "debug", destination, name: "test" });
    log.info(
      {
        token: "tok-AAA111",
        auth: { password: "pw-BBB222", verifyCode: "777333", sms_code: "888444" },
        request: { headers: { authorization: "Bearer tok-CCC333", cookie: "ptwebqq=DDD444" } },
        items: [{ accessToken: "tok-EEE555" }],
        chatId: 42,
      },
      "login attempt",
    );
    log.warn({ err: Object.assign(new Error("failed"), { token: "tok-FFF666" }) }, "oops");
    log.debug({ "access-token": "tok-GGG777" }, "debug line");
    const out = lines.join("");
    expect(lines).toHaveLength(3);
    for (const secret of [
      "AAA111",
      "BBB222",
      "777333",
      "888444",
      "CCC333",
      "DDD444",
      "EEE555",
      "FFF666",
      "GGG777",
    ]) {
      expect(out).not.toContain(secret);
    }
    const first = JSON.parse(lines[0] ?? "{}") as Record<string, unknown>;
    expect(first.msg).toBe("login attempt");
    expect(first.chatId).toBe(42);
    expect(first.token).toBe("[redacted]");
    expect(first.name).toBe("test");
  });

  it("is quiet below its level", () => {
    const { lines, destination } = capture();
    const log = createLogger({ level: "warn", destination });
    log.info({ a: 1 }, "hidden");
    log.warn({ a: 2 }, "shown");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain("shown");
  });
});
