/** Shared pieces of the console tests: a live-feed (SSE) reader and a small file upload. */

export interface SseEvent {
  type: string;
  // biome-ignore lint/suspicious/noExplicitAny: tests inspect arbitrary event data
  data: any;
}

/** Opens `/_sandbox/console/events` and collects its events until `close()`. */
export async function openFeed(consoleUrl: string) {
  const abort = new AbortController();
  const res = await fetch(`${consoleUrl}/_sandbox/console/events`, { signal: abort.signal });
  if (!res.ok || !res.body) throw new Error(`feed answered ${res.status}`);
  const events: SseEvent[] = [];
  let waiters: { match: (e: SseEvent) => boolean; resolve: (e: SseEvent) => void }[] = [];
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  const pump = (async () => {
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return;
        buffer += value;
        let end = buffer.indexOf("\n\n");
        while (end >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          end = buffer.indexOf("\n\n");
          let type = "message";
          let data = "";
          for (const line of block.split("\n")) {
            if (line.startsWith("event: ")) type = line.slice(7);
            else if (line.startsWith("data: ")) data += line.slice(6);
          }
          if (!data) continue;
          const event = { type, data: JSON.parse(data) };
          events.push(event);
          waiters = waiters.filter((w) => {
            if (!w.match(event)) return true;
            w.resolve(event);
            return false;
          });
        }
      }
    } catch {
      // aborted
    }
  })();
  const feed = {
    res,
    events,
    /** The first event (already received or still to come) that matches. */
    next(type: string, match: (data: SseEvent["data"]) => boolean = () => true, timeoutMs = 5000) {
      const test = (e: SseEvent) => e.type === type && match(e.data);
      const seen = events.find(test);
      if (seen) return Promise.resolve(seen.data);
      return new Promise<SseEvent["data"]>((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`no ${type} event within ${timeoutMs} ms`)),
          timeoutMs,
        );
        waiters.push({
          match: test,
          resolve: (e) => {
            clearTimeout(timer);
            resolve(e.data);
          },
        });
      });
    },
    async close() {
      abort.abort();
      await pump;
    },
  };
  await feed.next("hello");
  return feed;
}

/** A 2×2 PNG. */
export const PNG = Buffer.from(
  "iVBORw0KGgoAAAANSUhEUgAAAAIAAAACCAIAAAD91JpzAAAAFklEQVR4nGP8z8DAwMDAxMDAwMDAAAANHQEDasKb6QAAAABJRU5ErkJggg==",
  "base64",
);

export function uploadForm(url: string, data: Buffer, filename: string, type: string): Promise<Response> {
  const form = new FormData();
  form.append("file", new Blob([new Uint8Array(data)], { type }), filename);
  return fetch(url, { method: "POST", body: form, headers: { Origin: "https://web.max.ru" } });
}

export async function until(check: () => boolean | Promise<boolean>, timeoutMs = 5000, what = "condition") {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
