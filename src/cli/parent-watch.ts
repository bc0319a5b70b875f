/**
 * Lets a long-running command (the sandbox) notice that whoever started it went away, so that
 * killing a backgrounded `npx switchboard sandbox` never leaves an orphan holding the ports.
 *
 * `npx` starts us through a chain (npx → sh → node), and killing the top of it with SIGKILL
 * (or SIGTERM, which npx does not always forward) leaves the middle alive: watching our own
 * parent alone is not enough. So the chain of ancestors is recorded at start (a few levels, up to
 * init) and walked again every second: when an ancestor dies its children are re-parented, the
 * walk differs, and `onGone` runs. Linux reads /proc; elsewhere only the direct parent is
 * watched (its pid changing, or it no longer existing).
 *
 * stdin is deliberately not watched: a parent may close our stdin on purpose (spawn with an
 * empty input), and reading a terminal from a background job stops the job (SIGTTIN).
 */
import { readFileSync } from "node:fs";

/** How many ancestors are watched: node's parent, npx's sh, npx, and the shell that ran it. */
const DEPTH = 4;
const INTERVAL_MS = 1000;

/** The parent pid of `pid` from /proc (Linux); undefined when unknown or gone. */
function parentOf(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // "pid (comm) state ppid …": comm may hold spaces and parentheses, so split after the last ")".
    const rest = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const ppid = Number(rest[1]);
    return Number.isInteger(ppid) ? ppid : undefined;
  } catch {
    return undefined;
  }
}

/** Our ancestors, nearest first, stopping before init (pid 1) or the kernel (0). */
export function ancestors(depth = DEPTH): number[] {
  const chain: number[] = [];
  let pid: number | undefined = process.ppid;
  while (pid !== undefined && pid > 1 && chain.length < depth) {
    chain.push(pid);
    pid = process.platform === "linux" ? parentOf(pid) : undefined;
  }
  return chain;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * Calls `onGone(reason)` once when an ancestor recorded now goes away. Returns a stop function.
 * Nothing is watched when we were started by init itself (a container's entry point, a service).
 */
export function watchParent(onGone: (reason: string) => void): () => void {
  const recorded = ancestors();
  if (recorded.length === 0) return () => undefined;
  const timer = setInterval(() => {
    const now = ancestors(recorded.length);
    const changed = now.length !== recorded.length || now.some((pid, i) => pid !== recorded[i]);
    const gone = changed || !alive(recorded[0] as number);
    if (!gone) return;
    clearInterval(timer);
    const lost = recorded.find((pid) => !now.includes(pid)) ?? recorded[0];
    onGone(`parent process ${lost} went away`);
  }, INTERVAL_MS);
  timer.unref();
  return () => clearInterval(timer);
}
