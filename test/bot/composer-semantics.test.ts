import { describe, expect, it } from "vitest";
import { Composer, compose } from "../../src/bot/composer.js";
import { BotError } from "../../src/bot/errors.js";
import { ref } from "../../src/core/model.js";
import { contextOf, type TestContext, textContext } from "./composer-fixtures.js";

async function run(composer: Composer<TestContext>, ctx: TestContext): Promise<string[]> {
  await composer.middleware()(ctx, async () => {
    ctx.log.push("end");
  });
  return ctx.log;
}

describe("Composer: next() semantics", () => {
  it("runs middleware in order; awaiting next() returns after everything downstream finished", async () => {
    const c = new Composer<TestContext>();
    c.use(async (ctx, next) => {
      ctx.log.push("a>");
      await next();
      ctx.log.push("<a");
    });
    c.use(async (ctx, next) => {
      ctx.log.push("b>");
      await new Promise((r) => setTimeout(r, 5));
      await next();
      ctx.log.push("<b");
    });
    expect(await run(c, textContext("hi"))).toEqual(["a>", "b>", "end", "<b", "<a"]);
  });

  it("a middleware that does not call next() stops the chain", async () => {
    const c = new Composer<TestContext>();
    c.use((ctx) => {
      ctx.log.push("stop");
    });
    c.use((ctx) => {
      ctx.log.push("never");
    });
    expect(await run(c, textContext("hi"))).toEqual(["stop"]);
  });

  it("calling next() twice rejects", async () => {
    const c = new Composer<TestContext>(async (_ctx, next) => {
      await next();
      await next();
    });
    await expect(run(c, textContext("hi"))).rejects.toThrow(/next\(\) called twice/);
  });

  it("use() returns a child whose handlers run in its place, before later siblings", async () => {
    const c = new Composer<TestContext>();
    const child = c.use();
    c.use((ctx, next) => {
      ctx.log.push("sibling");
      return next();
    });
    child.use((ctx, next) => {
      ctx.log.push("child (added later)");
      return next();
    });
    expect(await run(c, textContext("hi"))).toEqual(["child (added later)", "sibling", "end"]);
  });

  it("compose() chains middleware objects and functions", async () => {
    const inner = new Composer<TestContext>((ctx, next) => {
      ctx.log.push("inner");
      return next();
    });
    const mw = compose<TestContext>(inner, (ctx, next) => {
      ctx.log.push("fn");
      return next();
    });
    const ctx = textContext("x");
    await mw(ctx, async () => {
      ctx.log.push("end");
    });
    expect(ctx.log).toEqual(["inner", "fn", "end"]);
  });
});

describe("Composer: command()", () => {
  function commandBot() {
    const c = new Composer<TestContext>();
    c.command(["echo", "say"], (ctx) => {
      ctx.log.push(`${ctx.command}|${ctx.args}`);
    });
    c.command("start", (ctx) => {
      ctx.log.push(`start|${ctx.args}`);
    });
    c.use((ctx) => {
      ctx.log.push("fallthrough");
    });
    return c;
  }

  it.each([
    ["/echo  hello   there  ", "echo|hello   there"],
    ["/say hi", "say|hi"],
    ["/start", "start|"],
    ["  /start  ", "start|"],
    ["/ECHO Loud", "echo|Loud"],
    ["/echo\nline two", "echo|line two"],
    ["/echo@anybot x", "echo|x"],
    ["/echoes x", "fallthrough"],
    ["echo x", "fallthrough"],
    ["x /echo", "fallthrough"],
    ["/", "fallthrough"],
  ])("%j → %s", async (text, expected) => {
    expect(await run(commandBot(), textContext(text))).toEqual([expected]);
  });

  it("/name@botname is accepted only for this bot's username when it is known", async () => {
    expect(await run(commandBot(), textContext("/echo@MyBot x", { botUsername: "mybot" }))).toEqual([
      "echo|x",
    ]);
    expect(await run(commandBot(), textContext("/echo@otherbot x", { botUsername: "mybot" }))).toEqual([
      "fallthrough",
    ]);
  });

  it("uses the context's prefixes (the longest first), on every platform alike", async () => {
    for (const platform of ["vklive", "webqq", "max", "maxim", "maxbot"] as const) {
      expect(await run(commandBot(), textContext("!echo a", { platform, prefixes: ["!", "/"] }))).toEqual([
        "echo|a",
      ]);
      expect(await run(commandBot(), textContext("/echo a", { platform, prefixes: ["!"] }))).toEqual([
        "fallthrough",
      ]);
    }
    expect(await run(commandBot(), textContext("!!echo b", { prefixes: ["!", "!!"] }))).toEqual(["echo|b"]);
  });

  it("does not fire on an edited message", async () => {
    expect(await run(commandBot(), textContext("/echo x", { edited: true }))).toEqual(["fallthrough"]);
  });
});

describe("Composer: hears(), on(), filter(), drop(), branch(), route(), lazy()", () => {
  it("hears: a regex sets ctx.match; a string must equal the whole text", async () => {
    const c = new Composer<TestContext>();
    c.hears(/ord(er)? (\d+)/i, (ctx) => {
      ctx.log.push(`order ${ctx.match[2]}`);
    });
    c.hears(["hi", "hello."], (ctx) => {
      ctx.log.push(`greet ${ctx.match[0]}`);
    });
    c.use((ctx) => {
      ctx.log.push("none");
    });
    expect(await run(c, textContext("my Order 42 please"))).toEqual(["order 42"]);
    expect(await run(c, textContext("hello."))).toEqual(["greet hello."]);
    expect(await run(c, textContext("hellox"))).toEqual(["none"]);
    expect(await run(c, textContext("hi there"))).toEqual(["none"]);
  });

  it("hears: a global regex matches on every update (lastIndex is reset)", async () => {
    const c = new Composer<TestContext>();
    c.hears(/a/g, (ctx) => {
      ctx.log.push("a");
    });
    expect(await run(c, textContext("a"))).toEqual(["a"]);
    expect(await run(c, textContext("a"))).toEqual(["a"]);
  });

  it("on: runs only for matching updates, others go on", async () => {
    const c = new Composer<TestContext>();
    c.on("message:media", (ctx) => {
      ctx.log.push("media");
    });
    c.on(["edited", "message_removed"], (ctx) => {
      ctx.log.push(ctx.event.type);
    });
    c.on("vklive:message", (ctx) => {
      ctx.log.push("vk message");
    });
    c.on("message:text", (ctx, next) => {
      ctx.log.push(`text ${ctx.text}`);
      return next();
    });
    expect(await run(c, textContext("x", { platform: "vklive" }))).toEqual(["vk message"]);
    expect(await run(c, textContext("x", { platform: "max" }))).toEqual(["text x", "end"]);
    expect(await run(c, textContext("x", { edited: true }))).toEqual(["message.edited"]);
    const deleted = contextOf({
      id: "d1",
      type: "message.deleted",
      chat: ref("maxbot", "acct", "c"),
      message: ref("maxbot", "acct", "m"),
    });
    expect(await run(c, deleted)).toEqual(["message.deleted"]);
    const photo = textContext("x");
    if (photo.event.type === "message.created") {
      photo.event.message.content.push({ type: "image", attachment: { url: "http://127.0.0.1/a.png" } });
    }
    expect(await run(c, photo)).toEqual(["media"]);
  });

  it("on: an unknown query throws when registered, not when an update comes", () => {
    const c = new Composer<TestContext>();
    expect(() => c.on("mesage" as never, () => {})).toThrow(/unknown filter query "mesage"/);
  });

  it("filter (async predicate) and drop", async () => {
    const c = new Composer<TestContext>();
    c.filter(
      async (ctx) => ctx.text === "yes",
      (ctx) => {
        ctx.log.push("filtered");
      },
    );
    c.drop(
      (ctx) => ctx.text === "skip",
      (ctx) => {
        ctx.log.push("not dropped");
      },
    );
    expect(await run(c, textContext("yes"))).toEqual(["filtered"]);
    expect(await run(c, textContext("no"))).toEqual(["not dropped"]);
    expect(await run(c, textContext("skip"))).toEqual(["end"]);
  });

  it("branch picks one side, both continue with next", async () => {
    const c = new Composer<TestContext>();
    c.branch(
      (ctx) => ctx.platform === "vklive",
      (ctx, next) => {
        ctx.log.push("vk");
        return next();
      },
      (ctx, next) => {
        ctx.log.push("other");
        return next();
      },
    );
    expect(await run(c, textContext("x", { platform: "vklive" }))).toEqual(["vk", "end"]);
    expect(await run(c, textContext("x", { platform: "webqq" }))).toEqual(["other", "end"]);
  });

  it("route picks by key, with a fallback", async () => {
    const c = new Composer<TestContext>();
    c.route((ctx) => (ctx.text === "a" || ctx.text === "b" ? ctx.text : undefined), {
      a: (ctx) => {
        ctx.log.push("route a");
      },
      b: (ctx, next) => {
        ctx.log.push("route b");
        return next();
      },
    });
    expect(await run(c, textContext("a"))).toEqual(["route a"]);
    expect(await run(c, textContext("b"))).toEqual(["route b", "end"]);
    expect(await run(c, textContext("c"))).toEqual(["end"]);
    const withFallback = new Composer<TestContext>();
    withFallback.route(
      () => "zzz" as "a",
      {},
      (ctx) => {
        ctx.log.push("fallback");
      },
    );
    expect(await run(withFallback, textContext("c"))).toEqual(["fallback"]);
  });

  it("lazy builds middleware per update (an array is composed)", async () => {
    const c = new Composer<TestContext>();
    c.lazy((ctx) => [
      (_ctx: TestContext, next: () => Promise<void>) => {
        ctx.log.push(`lazy ${ctx.text}`);
        return next();
      },
      new Composer<TestContext>((x, next) => {
        x.log.push("second");
        return next();
      }),
    ]);
    expect(await run(c, textContext("q"))).toEqual(["lazy q", "second", "end"]);
  });
});

describe("Composer: errorBoundary()", () => {
  it("catches what the inner middleware throws as BotError; going on is the handler's choice", async () => {
    const c = new Composer<TestContext>();
    const seen: BotError[] = [];
    c.errorBoundary(
      (err, next) => {
        seen.push(err);
        return err.ctx.text === "continue" ? next() : undefined;
      },
      () => {
        throw new Error("boom");
      },
    );
    c.use((ctx) => {
      ctx.log.push("after boundary");
    });
    expect(await run(c, textContext("continue"))).toEqual(["after boundary"]);
    expect(await run(c, textContext("stop"))).toEqual([]);
    expect(seen).toHaveLength(2);
    expect(seen[0]).toBeInstanceOf(BotError);
    expect(seen[0]?.error).toEqual(new Error("boom"));
    expect(seen[0]?.updateKey).toMatch(/^maxbot:acct:e\d+$/);
    expect(seen[0]?.platform).toBe("maxbot");
    expect(seen[0]?.chat?.id).toBe("chat1");
  });

  it("inner middleware that calls next() continues past the boundary; errors downstream are not caught by it", async () => {
    const c = new Composer<TestContext>();
    let caught = 0;
    c.errorBoundary(
      () => {
        caught++;
      },
      (ctx, next) => {
        ctx.log.push("inner");
        return next();
      },
    );
    c.use(() => {
      throw new Error("downstream");
    });
    await expect(run(c, textContext("x"))).rejects.toThrow("downstream");
    expect(caught).toBe(0);
  });
});
