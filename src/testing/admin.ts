/**
 * The sandbox as the kit sees it: its faces' URLs and its admin API over HTTP. The kit sets every
 * platform up through this one door, so it works the same against an in-process sandbox and a
 * running one (`npm start`'s), and never reaches into an emulator's internals.
 */
import { BotTestKitError } from "./errors.js";

/** Where each face listens (the sandbox's `--json` line). */
export interface SandboxFaces {
  console: string;
  max: string;
  maxim: string;
  webqq: string;
  vklive: string;
  maxbot: string;
}

const ADMIN_TIMEOUT_MS = 10_000;
const HEALTH_TIMEOUT_MS = 5_000;

export class SandboxAdmin {
  constructor(readonly faces: SandboxFaces) {}

  /** One admin call: JSON in, JSON out; a non-2xx answer is a BotTestKitError with the server's words. */
  async call<T>(method: "GET" | "POST", path: string, body?: unknown): Promise<T> {
    let res: Response;
    try {
      res = await fetch(this.faces.console + path, {
        method,
        headers: body === undefined ? {} : { "content-type": "application/json" },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(ADMIN_TIMEOUT_MS),
      });
    } catch (err) {
      throw new BotTestKitError(`sandbox admin call ${method} ${path} failed: ${errorText(err)}`, {
        code: "admin_failed",
        cause: err,
      });
    }
    const text = await res.text();
    if (!res.ok) {
      throw new BotTestKitError(
        `sandbox admin call ${method} ${path} answered HTTP ${res.status}: ${text.slice(0, 300)}`,
        {
          code: "admin_failed",
          details: { status: res.status },
        },
      );
    }
    return (text ? JSON.parse(text) : undefined) as T;
  }
}

function errorText(err: unknown): string {
  if (err instanceof Error) {
    const cause = (err as { cause?: unknown }).cause;
    return cause instanceof Error ? `${err.message} (${cause.message})` : err.message;
  }
  return String(err);
}

/**
 * A running sandbox by its console URL: checks `/_sandbox/health`, then reads the faces' URLs
 * from the admin index (`GET /_sandbox/api` as JSON).
 */
export async function connectSandbox(consoleUrl: string): Promise<SandboxAdmin> {
  let base: string;
  try {
    base = new URL(consoleUrl).origin;
  } catch {
    throw new BotTestKitError(
      `sandbox: "${consoleUrl}" is not a URL (expected the console's, e.g. http://127.0.0.1:8700)`,
      {
        code: "sandbox_unreachable",
      },
    );
  }
  const unreachable = (why: string, cause?: unknown) =>
    new BotTestKitError(`no sandbox answers at ${base}: ${why} (is \`npm start\` running?)`, {
      code: "sandbox_unreachable",
      ...(cause === undefined ? {} : { cause }),
    });
  try {
    const health = await fetch(`${base}/_sandbox/health`, { signal: AbortSignal.timeout(HEALTH_TIMEOUT_MS) });
    const body = (await health.json().catch(() => undefined)) as { ok?: unknown } | undefined;
    if (!health.ok || body?.ok !== true)
      throw unreachable(`GET /_sandbox/health answered HTTP ${health.status}`);
    const index = await fetch(`${base}/_sandbox/api`, {
      headers: { accept: "application/json" },
      signal: AbortSignal.timeout(HEALTH_TIMEOUT_MS),
    });
    const { faces } = (await index.json()) as { faces?: { id: string; url: string }[] };
    const url = (id: keyof SandboxFaces) => {
      const face = faces?.find((f) => f.id === id);
      if (!face?.url) throw unreachable(`the admin index lists no "${id}" face`);
      return face.url;
    };
    return new SandboxAdmin({
      console: base,
      max: url("max"),
      maxim: url("maxim"),
      webqq: url("webqq"),
      vklive: url("vklive"),
      maxbot: url("maxbot"),
    });
  } catch (err) {
    if (err instanceof BotTestKitError) throw err;
    throw unreachable(errorText(err), err);
  }
}
