import { describe, expect, it } from "vitest";
import { z } from "zod";
import { fillPath } from "../../src/core/endpoint.js";
import { ApiError, ValidationError } from "../../src/core/errors.js";
import { formatIssues, parseResponse, validateInput } from "../../src/core/validation.js";

const Body = z.object({ chatId: z.number().int(), text: z.string().min(1) }).strict();

describe("validation", () => {
  it("formats issues as path: message", () => {
    const r = Body.safeParse({ chatId: "x", text: "" });
    expect(r.success).toBe(false);
    if (!r.success) {
      const lines = formatIssues(r.error);
      expect(lines).toHaveLength(2);
      expect(lines[0]).toMatch(/^chatId: /);
      expect(lines[1]).toMatch(/^text: /);
    }
  });

  it("validateInput throws a ValidationError naming the call and each issue", () => {
    expect(validateInput(Body, { chatId: 1, text: "hi" }, { platform: "max", what: "sendMessage" })).toEqual({
      chatId: 1,
      text: "hi",
    });
    let err: unknown;
    try {
      validateInput(Body, { chatId: 1.5, text: "hi", extra: 1 }, { platform: "max", what: "sendMessage" });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ValidationError);
    const v = err as ValidationError;
    expect(v.message).toMatch(/^sendMessage: /);
    expect(v.platform).toBe("max");
    expect(v.issues.length).toBe(2);
  });

  it("parseResponse keeps unknown fields of a lenient schema and turns a misfit into ApiError bad_response", () => {
    const Res = z.looseObject({ id: z.number() });
    expect(
      parseResponse(Res, { id: 1, newField: "kept" }, { platform: "vklive", what: "GET /v1/x" }),
    ).toEqual({
      id: 1,
      newField: "kept",
    });
    expect(() => parseResponse(Res, { id: "1" }, { platform: "vklive", what: "GET /v1/x" })).toThrow(
      ApiError,
    );
    try {
      parseResponse(Res, null, { platform: "vklive", what: "GET /v1/x" });
    } catch (e) {
      expect((e as ApiError).code).toBe("bad_response");
    }
  });

  it("fillPath fills and encodes path parameters and names a missing one", () => {
    expect(fillPath("/v1/channel/:url/chat", { url: "a b" })).toBe("/v1/channel/a%20b/chat");
    expect(() => fillPath("/group/:id", {})).toThrow(/missing path parameter id/);
  });
});

describe("abortedError", () => {
  it("is a TimeoutError for a timeout signal and an AbortError for a caller's abort", async () => {
    const { abortedError, AbortError, TimeoutError } = await import("../../src/core/errors.js");
    const t = AbortSignal.timeout(1);
    await new Promise((resolve) => t.addEventListener("abort", resolve, { once: true }));
    expect(abortedError("max", t.reason)).toBeInstanceOf(TimeoutError);
    const ac = new AbortController();
    ac.abort();
    expect(abortedError("max", ac.signal.reason)).toBeInstanceOf(AbortError);
  });
});
