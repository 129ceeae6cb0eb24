import { type ChildProcessByStdio, spawn } from 'node:child_process';
import type { Readable } from 'node:stream';
import { setTimeout as delay } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { freePort } from './server.js';

// `src/main.ts` in a child process, as `npm start` runs it: for what only the real process
// shows (its signal handling, everything it prints on stdout and stderr, not only what its
// logger writes).

const projectRoot = fileURLToPath(new URL('../..', import.meta.url));

/** A running `src/main.ts`. */
export interface ServerProcess {
  child: ChildProcessByStdio<null, Readable, Readable>;
  port: number;
  /** `http://127.0.0.1:PORT` */
  origin: string;
  /** Resolves with the exit code once the process has exited and its stdout and stderr have ended. */
  exited: Promise<number | null>;
  /** Everything it wrote on stdout so far. */
  stdout(): string;
  /** Everything it wrote on stderr so far. */
  stderr(): string;
  /** The complete lines of stdout that are JSON objects (its log), parsed. */
  logs(): { msg?: string; req?: { url?: string }; [field: string]: unknown }[];
}

const started = new Set<ServerProcess>();

/** The entry point `npm start` runs. */
const MAIN = 'src/main.ts';

/**
 * Starts `src/main.ts` (or another `entry` that serves on PORT) on a free port with the embedded
 * in-memory database and only the environment it needs (no DATABASE_URL from the test run,
 * default scrypt cost) plus `env` (a `DATABASE_URL` there replaces the embedded database);
 * resolves once `/healthz` answers 200, rejects with its output if it exits or is not healthy
 * within 45 s. {@link stopServerProcesses} kills whatever is left.
 */
export async function startServerProcess(env: Record<string, string> = {}, entry = MAIN): Promise<ServerProcess> {
  const p = await spawnServerProcess(env, entry);
  const deadline = Date.now() + 45_000;
  for (;;) {
    if (p.child.exitCode !== null) throw new Error(`server exited with ${p.child.exitCode}:\n${p.stdout()}\n${p.stderr()}`);
    const res = await fetch(`${p.origin}/healthz`).catch(() => undefined);
    if (res?.status === 200) return p;
    if (Date.now() > deadline) throw new Error(`server did not become healthy:\n${p.stdout()}\n${p.stderr()}`);
    await delay(50);
  }
}

/**
 * Starts `src/main.ts` as {@link startServerProcess} does, for a start that must fail: resolves
 * once it has exited, with its exit code (null when it had to be killed: still running after
 * `timeoutMs`) and everything it wrote.
 */
export async function runServerProcess(
  env: Record<string, string>,
  timeoutMs = 20_000,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const p = await spawnServerProcess(env);
  // A process that wrongly starts serving must not outlive the test.
  const timer = setTimeout(() => p.child.kill('SIGKILL'), timeoutMs);
  const code = await p.exited;
  clearTimeout(timer);
  return { code, stdout: p.stdout(), stderr: p.stderr() };
}

async function spawnServerProcess(env: Record<string, string>, entry = MAIN): Promise<ServerProcess> {
  const port = await freePort();
  const child = spawn(process.execPath, ['--import', 'tsx', entry], {
    cwd: projectRoot,
    env: {
      PATH: process.env.PATH,
      EMBEDDED_DB_DIR: 'memory://',
      HOST: '127.0.0.1',
      PORT: String(port),
      JWT_SECRET: 'server-process-secret-of-32-bytes-or-more',
      LOG_LEVEL: 'info',
      ...env,
    },
    // Another entry (test/support/clocked-member.ts) also gets an IPC channel, for its messages.
    stdio: entry === MAIN ? ['ignore', 'pipe', 'pipe'] : ['ignore', 'pipe', 'pipe', 'ipc'],
  }) as ChildProcessByStdio<null, Readable, Readable>;
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  // 'close', not 'exit': by then everything the process wrote has been read.
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  const p: ServerProcess = {
    child,
    port,
    origin: `http://127.0.0.1:${port}`,
    exited,
    stdout: () => stdout,
    stderr: () => stderr,
    logs: () =>
      // Complete lines only: the last one may still be arriving.
      stdout
        .slice(0, stdout.lastIndexOf('\n') + 1)
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as { msg?: string }),
  };
  started.add(p);
  void exited.then(() => started.delete(p));
  return p;
}

/** Kills (SIGKILL) every process {@link startServerProcess} started that is still running, and waits for each; for `afterAll`. */
export async function stopServerProcesses(): Promise<void> {
  const running = [...started];
  for (const p of running) if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
  await Promise.all(running.map((p) => p.exited));
}
