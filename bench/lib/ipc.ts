/**
 * Child-process servers for benchmarks: the measured server runs in its own Node process
 * (`node --import tsx <script>`), so its CPU and memory are not mixed with the load generator's.
 * Setup commands and memory readings travel over the IPC channel as small JSON requests.
 */
import { type ChildProcess, fork } from "node:child_process";

interface IpcRequest {
  id: number;
  method: string;
  params: unknown;
}
type IpcReply = { id: number; ok: true; result: unknown } | { id: number; ok: false; error: string };
interface IpcReady {
  ready: Record<string, unknown>;
}

export interface MemoryReading {
  rss: number;
  heapUsed: number;
  external: number;
  arrayBuffers: number;
}

/** Parent side: a running server child. */
export class ChildServer {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private exited = false;

  private constructor(
    private readonly child: ChildProcess,
    readonly info: Record<string, unknown>,
  ) {
    child.on("message", (msg: IpcReply) => {
      const waiter = this.pending.get(msg.id);
      if (!waiter) return;
      this.pending.delete(msg.id);
      if (msg.ok) waiter.resolve(msg.result);
      else waiter.reject(new Error(msg.error));
    });
    child.on("exit", () => {
      this.exited = true;
      for (const w of this.pending.values()) w.reject(new Error("server child exited"));
      this.pending.clear();
    });
  }

  /** Starts `script` with tsx and GC exposed; resolves once it reports `ready` (within `timeoutMs`). */
  static async start(script: string, args: string[] = [], timeoutMs = 20_000): Promise<ChildServer> {
    const child = fork(script, args, {
      // BENCH_CPU_PROF=1 writes a V8 CPU profile of every server child to bench/results/prof/.
      execArgv: [
        "--import",
        "tsx",
        "--expose-gc",
        ...(process.env.BENCH_CPU_PROF ? ["--cpu-prof", "--cpu-prof-dir=bench/results/prof"] : []),
      ],
      stdio: ["ignore", "inherit", "inherit", "ipc"],
    });
    const info = await new Promise<Record<string, unknown>>((resolve, reject) => {
      const timer = setTimeout(() => {
        child.kill("SIGKILL");
        reject(new Error(`${script} did not start within ${timeoutMs} ms`));
      }, timeoutMs);
      child.once("message", (msg: IpcReady) => {
        clearTimeout(timer);
        resolve(msg.ready);
      });
      child.once("exit", (code) => {
        clearTimeout(timer);
        reject(new Error(`${script} exited with ${code} before it was ready`));
      });
    });
    return new ChildServer(child, info);
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  call<T>(method: string, params: unknown = {}, timeoutMs = 60_000): Promise<T> {
    if (this.exited) return Promise.reject(new Error("server child exited"));
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`IPC ${method} timed out after ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(id, {
        resolve: (v) => {
          clearTimeout(timer);
          resolve(v as T);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      });
      const request: IpcRequest = { id, method, params };
      this.child.send(request);
    });
  }

  /** Heap after two forced collections, so the reading is what is live, not garbage. */
  memory(): Promise<MemoryReading> {
    return this.call<MemoryReading>("memory");
  }

  async stop(): Promise<void> {
    if (this.exited) return;
    const gone = new Promise<void>((resolve) => this.child.once("exit", () => resolve()));
    this.child.kill("SIGTERM");
    const timer = setTimeout(() => this.child.kill("SIGKILL"), 5_000);
    await gone;
    clearTimeout(timer);
  }
}

export type IpcMethods = Record<string, (params: never) => unknown>;

/** Child side: answers IPC requests with `methods` and reports `ready`. Exits when the parent goes. */
export function serveIpc(
  ready: Record<string, unknown>,
  methods: IpcMethods,
  onStop: () => Promise<void>,
): void {
  const send = process.send?.bind(process);
  if (!send) throw new Error("bench server scripts must be started by ChildServer (no IPC channel)");
  const all: IpcMethods = { ...methods, memory: () => readMemory() };
  process.on("message", async (msg: IpcRequest) => {
    const method = all[msg.method];
    try {
      if (!method) throw new Error(`unknown IPC method ${msg.method}`);
      const result = await method(msg.params as never);
      send({ id: msg.id, ok: true, result } satisfies IpcReply);
    } catch (err) {
      send({
        id: msg.id,
        ok: false,
        error: err instanceof Error ? err.message : String(err),
      } satisfies IpcReply);
    }
  });
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    await onStop().catch(() => undefined);
    process.exit(0);
  };
  process.on("SIGTERM", stop);
  process.on("disconnect", stop);
  send({ ready } satisfies IpcReady);
}

export function readMemory(): MemoryReading {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc) {
    gc();
    gc();
  }
  const m = process.memoryUsage();
  return { rss: m.rss, heapUsed: m.heapUsed, external: m.external, arrayBuffers: m.arrayBuffers };
}
