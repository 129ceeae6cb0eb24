import type { ChildProcess } from 'node:child_process';

// Every child process the benchmark starts, so that an error, a timeout or Ctrl-C kills exactly
// those (by pid) and nothing else.
const children = new Set<ChildProcess>();

/** Registers `child` for {@link killAllChildren}; it is forgotten once it exits. */
export function trackChild<T extends ChildProcess>(child: T): T {
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

/** SIGKILLs every child still running (servers and load workers). Synchronous, for exit paths. */
export function killAllChildren(): void {
  for (const child of children) {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
  children.clear();
}

/** Waits for `child` to exit: SIGTERM, then SIGKILL after `graceMs`. Resolves once it has exited. */
export async function stopChild(child: ChildProcess, graceMs: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

/** `promise`, or a rejection naming `what` after `ms`. */
export async function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${what}: no result within ${Math.round(ms / 1000)} s`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** Resolves after `ms`. */
export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** A benchmark's progress line on stderr, with the time of day. */
export const log = (line: string) => process.stderr.write(`${new Date().toISOString().slice(11, 19)} ${line}\n`);

/** The next IPC message of `type` from `child`. */
export function nextMessage<M extends { type: string }, T extends M>(child: ChildProcess, type: T['type']): Promise<T> {
  return new Promise((resolve) => {
    const onMessage = (m: M) => {
      if (m.type !== type) return;
      child.off('message', onMessage);
      resolve(m as T);
    };
    child.on('message', onMessage);
  });
}

/**
 * On Ctrl-C, SIGTERM or an uncaught error: `cleanup` (every child killed, the database dropped;
 * 15 s at most), then exit (130 for a signal, 1 for an error). Once only.
 */
export function cleanUpOnStop(cleanup: () => Promise<void>): void {
  let stopping = false;
  const stop = (why: string, code: number) => {
    if (stopping) return;
    stopping = true;
    log(`${why}: stopping every child process and cleaning up`);
    void withTimeout(cleanup(), 15_000, 'cleanup').finally(() => process.exit(code));
  };
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => stop(signal, 130));
  process.on('uncaughtException', (err) => stop(err.stack ?? err.message, 1));
  process.on('unhandledRejection', (err) => stop(String(err), 1));
}

/** Runs a benchmark's `main`: exit 0 once it resolves; when it throws, the error logged, every child killed, exit 1. */
export function runMain(main: () => Promise<void>): void {
  main().then(
    () => process.exit(0),
    (err: unknown) => {
      log(err instanceof Error ? (err.stack ?? err.message) : String(err));
      killAllChildren();
      process.exit(1);
    },
  );
}
