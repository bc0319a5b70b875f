/**
 * The client's cookie jar with a cached Cookie header per URL. tough-cookie walks its store, sorts
 * and serialises on every request (~20 µs); the header only changes when the store does or a
 * cookie expires, so the jar's store counts its changes, and a cached header is reused while the
 * count is the same and none of its cookies has expired. A hit does what tough-cookie does on a
 * lookup (the cookies' `lastAccessed` is set to now), so Max-Age expiry and the saved session are
 * exactly as without the cache.
 */
import {
  type Cookie,
  CookieJar,
  cookieCompare,
  MemoryCookieStore,
  type SerializedCookieJar,
} from "tough-cookie";

/** Most distinct URLs cached (the endpoint table has fewer; picture URLs may add a few). */
const MAX_CACHED = 128;

interface Cached {
  version: number;
  cookies: Cookie[];
  header: string;
}

/** What a counting store keeps beside its cookies: its change count and the cached headers. */
interface Counter {
  version: number;
  readonly headers: Map<string, Cached>;
}

const counters = new WeakMap<object, Counter>();

/** A memory store whose every change (put, update, remove) bumps its counter. */
function countingStore(): MemoryCookieStore {
  const store = new MemoryCookieStore();
  const counter: Counter = { version: 0, headers: new Map() };
  counters.set(store, counter);
  // updateCookie goes through putCookie, so these four see every change.
  const methods = store as unknown as Record<string, (...args: unknown[]) => unknown>;
  for (const name of ["putCookie", "removeCookie", "removeCookies", "removeAllCookies"]) {
    const original = methods[name]!;
    methods[name] = function (this: unknown, ...args: unknown[]) {
      counter.version++;
      return original.apply(this, args);
    };
  }
  return store;
}

/** An empty jar whose Cookie headers can be cached. */
export function newJar(): CookieJar {
  return new CookieJar(countingStore());
}

/** A saved jar brought back, on a counting store. */
export function restoreJar(saved: SerializedCookieJar | string): Promise<CookieJar> {
  return CookieJar.deserialize(saved, countingStore());
}

/**
 * The Cookie header for `url`, as `jar.getCookieString(url)` gives it ("" when none): a string
 * when cached (no promise on the hot path), else a promise of the looked-up header.
 */
export function cookieHeader(jar: CookieJar, url: string): string | Promise<string> {
  const counter = counters.get(jar.store);
  if (!counter) return jar.getCookieString(url);
  // Which cookies match depends on scheme, host and path only.
  const cut = url.search(/[?#]/);
  const key = cut < 0 ? url : url.slice(0, cut);
  const hit = counter.headers.get(key);
  if (hit && hit.version === counter.version) {
    const now = Date.now();
    let fresh = true;
    for (const c of hit.cookies) {
      const expiry = c.expiryTime();
      if (expiry !== undefined && expiry <= now) fresh = false;
    }
    if (fresh) {
      const accessed = new Date(now);
      for (const c of hit.cookies) c.lastAccessed = accessed;
      return hit.header;
    }
  }
  return lookUp(jar, url, counter, key);
}

async function lookUp(jar: CookieJar, url: string, counter: Counter, key: string): Promise<string> {
  const cookies = (await jar.getCookies(url)).sort(cookieCompare);
  const header = cookies.map((c) => c.cookieString()).join("; ");
  // Read after the lookup: an expired cookie it removed changed the count.
  if (counter.headers.size >= MAX_CACHED) counter.headers.clear();
  counter.headers.set(key, { version: counter.version, cookies, header });
  return header;
}
