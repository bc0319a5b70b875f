/** The client's cached Cookie header always equals what tough-cookie itself would send. */
import { CookieJar } from "tough-cookie";
import { describe, expect, it } from "vitest";
import { cookieHeader, newJar, restoreJar } from "../../src/webqq/client/cookies.js";

const SEND = "http://d.web2.qq.com/channel/send_buddy_msg2";
const POLL = "http://d.web2.qq.com/channel/poll2?clientid=1";

/** The header both ways: through the cache, and from a plain jar holding the same cookies. */
async function both(jar: CookieJar, url: string): Promise<[string, string]> {
  const plain = await CookieJar.deserialize(await jar.serialize());
  return [await cookieHeader(jar, url), await plain.getCookieString(url)];
}

describe("webqq client cookie header cache", () => {
  it("follows every change of the jar: set, overwrite, path, remove", async () => {
    const jar = newJar();
    expect(await both(jar, SEND)).toEqual(["", ""]);
    await jar.setCookie("ptwebqq=aaa; Path=/", SEND);
    await jar.setCookie("uin=o123; Path=/", SEND);
    expect(await both(jar, SEND)).toEqual(["ptwebqq=aaa; uin=o123", "ptwebqq=aaa; uin=o123"]);
    // Cached now; an overwrite must show at once.
    await jar.setCookie("ptwebqq=bbb; Path=/", SEND);
    expect((await both(jar, POLL))[0]).toBe("ptwebqq=bbb; uin=o123");
    expect(await cookieHeader(jar, SEND)).toBe("ptwebqq=bbb; uin=o123");
    // A longer path sorts first, and only where it matches.
    await jar.setCookie("skey=@x; Path=/channel", SEND);
    const [cached, plain] = await both(jar, SEND);
    expect(cached).toBe(plain);
    expect(cached.startsWith("skey=@x")).toBe(true);
    expect(await cookieHeader(jar, "http://d.web2.qq.com/other")).toBe("ptwebqq=bbb; uin=o123");
    await jar.removeAllCookies();
    expect(await both(jar, SEND)).toEqual(["", ""]);
  });

  it("drops a cookie once it expires, as tough-cookie does, and stamps lastAccessed on a hit", async () => {
    const jar = newJar();
    await jar.setCookie("short=1; Max-Age=1; Path=/", SEND);
    await jar.setCookie("long=2; Path=/", SEND);
    expect(await cookieHeader(jar, SEND)).toBe("short=1; long=2");
    const [first] = await jar.getCookies(SEND);
    const stamped = first?.lastAccessed;
    await new Promise((r) => setTimeout(r, 20));
    expect(await cookieHeader(jar, SEND)).toBe("short=1; long=2");
    const again = (await jar.store.getAllCookies()).find((c) => c.key === "long");
    expect(again?.lastAccessed).not.toBe(stamped);
    // Max-Age counts from the last access: wait it out without touching the jar.
    await new Promise((r) => setTimeout(r, 1100));
    expect(await both(jar, SEND)).toEqual(["long=2", "long=2"]);
  });

  it("a restored jar caches too and keeps its cookies", async () => {
    const jar = newJar();
    await jar.setCookie("ptwebqq=zzz; Path=/", SEND);
    const back = await restoreJar(await jar.serialize());
    expect(await both(back, SEND)).toEqual(["ptwebqq=zzz", "ptwebqq=zzz"]);
    await back.setCookie("ptwebqq=yyy; Path=/", SEND);
    expect(await cookieHeader(back, SEND)).toBe("ptwebqq=yyy");
    // A jar made elsewhere (not counting) still works, uncached.
    const foreign = new CookieJar();
    await foreign.setCookie("a=1; Path=/", SEND);
    expect(await cookieHeader(foreign, SEND)).toBe("a=1");
  });
});
