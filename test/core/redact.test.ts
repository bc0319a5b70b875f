import { describe, expect, it } from "vitest";
import { isSecretKey, REDACTED, redact, redactUrl } from "../../src/core/redact.js";

describe("redact", () => {
  it("replaces secret-looking keys at any depth, case-insensitively", () => {
    const input = {
      token: "t1",
      user: { name: "Ann", Password: "p1", nested: [{ accessToken: "t2", verifyCode: "123456" }] },
      headers: { Authorization: "Bearer x", Cookie: "ptwebqq=abc", "access-token": "t3" },
      sms_code: "4321",
      ptwebqq: "p",
      psessionid: "s",
      vfwebqq: "v",
      client_secret: "cs",
      apiKey: "k",
    };
    const out = redact(input);
    expect(out.token).toBe(REDACTED);
    expect(out.user.name).toBe("Ann");
    expect(out.user.Password).toBe(REDACTED);
    expect(out.user.nested[0]).toEqual({ accessToken: REDACTED, verifyCode: REDACTED });
    expect(out.headers).toEqual({ Authorization: REDACTED, Cookie: REDACTED, "access-token": REDACTED });
    for (const k of ["sms_code", "ptwebqq", "psessionid", "vfwebqq", "client_secret", "apiKey"] as const) {
      expect(out[k]).toBe(REDACTED);
    }
    expect(JSON.stringify(out)).not.toMatch(/t1|t2|t3|p1|123456|Bearer|abc|4321|"cs"/);
    // The input is untouched.
    expect(input.user.Password).toBe("p1");
  });

  it("keeps business codes, empty values and non-objects", () => {
    expect(redact({ code: 10008, error: "FAIL_LOGIN_TOKEN", token: "" })).toEqual({
      code: 10008,
      error: "FAIL_LOGIN_TOKEN",
      token: "",
    });
    expect(redact("token")).toBe("token");
    expect(redact(null)).toBe(null);
    expect(redact(42)).toBe(42);
    expect(isSecretKey("code")).toBe(false);
    expect(isSecretKey("X-Signature")).toBe(true);
  });

  it("turns errors into type and message only", () => {
    const e = Object.assign(new Error("boom"), { token: "hidden" });
    expect(redact({ err: e })).toEqual({ err: { type: "Error", message: "boom" } });
  });

  it("stops at a bounded depth on deep structures", () => {
    let deep: Record<string, unknown> = { token: "x" };
    for (let i = 0; i < 50; i++) deep = { next: deep };
    expect(() => redact(deep)).not.toThrow();
  });
});

describe("redactUrl", () => {
  it("masks secret query parameters and keeps the rest", () => {
    expect(redactUrl("https://api.example/v1/chat?access_token=abc.def&channel=5")).toBe(
      "https://api.example/v1/chat?access_token=[redacted]&channel=5",
    );
    expect(redactUrl("http://h/login?user=1&password=hunter2")).toBe(
      "http://h/login?user=1&password=[redacted]",
    );
    expect(redactUrl("http://h/cb#code=XYZ&state=s")).toBe("http://h/cb#code=[redacted]&state=s");
    expect(redactUrl("http://h/x?client_secret=s&sig=q&api_key=k")).toBe(
      "http://h/x?client_secret=[redacted]&sig=[redacted]&api_key=[redacted]",
    );
    expect(redactUrl("ws://127.0.0.1:8701/websocket")).toBe("ws://127.0.0.1:8701/websocket");
  });
});
