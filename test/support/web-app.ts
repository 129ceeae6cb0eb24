import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freePort } from './server.js';

// The reference web app (examples/web) as the browser suites use it: built once with Vite into
// a temporary folder, then served by `vite preview`, whose proxy sends /graphql (HTTP and
// WebSocket) to a test server. Vite runs in child processes: its bundler (Rolldown) is native
// code that does not belong inside Jest's module sandbox.

const VITE_BIN = path.resolve('node_modules', 'vite', 'bin', 'vite.js');
const VITE_CONFIG = path.resolve('examples', 'web', 'vite.config.ts');

/**
 * Loaded into every Vite process: it exits once its IPC channel to this process closes, that is
 * once the Jest worker is gone, however it went (a crash, a kill, a timeout). Jest's sandboxed
 * `process` never emits 'exit' to a test file, so a kill from an exit handler here would never
 * run. The channel is unref'd so that it alone keeps no process alive (`vite build` exits when done).
 */
const EXIT_WITH_PARENT = 'data:text/javascript,process.once("disconnect",()=>process.exit(1));process.channel?.unref();';

/** How long a Vite process has between SIGTERM and SIGKILL. */
const STOP_GRACE_MS = 5000;

/** A production build of the app. */
export interface WebAppBuild {
  outDir: string;
  /** How long `vite build` took. */
  buildMs: number;
  /** Deletes the build. */
  dispose(): Promise<void>;
}

/** `vite preview` of a build, proxying to an API. */
export interface WebAppPreview {
  /** `http://127.0.0.1:PORT`, the page's origin (list it in the API's ALLOWED_ORIGINS). */
  origin: string;
  /** Stops the preview server (SIGTERM, then SIGKILL after 5 s); resolves once it has exited. */
  close(): Promise<void>;
}

/** A Vite child process. */
interface ViteProcess {
  child: ChildProcess;
  /** Everything it wrote to stdout and stderr so far, and the error if it could not be spawned. */
  output(): string;
  /** Whether it has exited (or never started). */
  exited(): boolean;
  /** Resolves once it has exited (or failed to spawn); never rejects. */
  done: Promise<void>;
  /** SIGTERM, then SIGKILL after {@link STOP_GRACE_MS}; resolves once it has exited. */
  stop(): Promise<void>;
}

/** Every Vite process this module started that has not exited yet. */
const running = new Set<ViteProcess>();

/**
 * Stops every Vite process still running: for the `afterAll` of a suite, so that a set-up that
 * failed or timed out halfway (a build still running, a preview nobody kept) leaves nothing behind.
 */
export async function stopViteProcesses(): Promise<void> {
  await Promise.all([...running].map((vite) => vite.stop()));
}

function startVite(args: string[], env: Record<string, string> = {}): ViteProcess {
  // Jest's NODE_OPTIONS (--experimental-vm-modules) is not for Vite.
  const { NODE_OPTIONS: _jestOnly, ...inherited } = process.env;
  const child = spawn(process.execPath, ['--import', EXIT_WITH_PARENT, VITE_BIN, ...args, '--config', VITE_CONFIG], {
    env: { ...inherited, ...env },
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  let output = '';
  let exited = false;
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  const done = new Promise<void>((resolve) => {
    child.once('exit', () => resolve());
    // A process that could not be spawned emits 'error' and may never emit 'exit'; an 'error'
    // without a listener would throw in the worker.
    child.on('error', (err) => {
      output += `\n${err.message}`;
      if (child.pid === undefined) resolve();
    });
  }).then(() => {
    exited = true;
  });
  const vite: ViteProcess = {
    child,
    output: () => output,
    exited: () => exited,
    done,
    stop: async () => {
      if (exited) return;
      child.kill('SIGTERM');
      const kill = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
      await done;
      clearTimeout(kill);
    },
  };
  running.add(vite);
  void done.then(() => running.delete(vite));
  return vite;
}

/**
 * Builds examples/web into a fresh temporary folder (`vite build`). Rejects with Vite's output
 * when the build fails, or when it has not finished within `timeoutMs` (it is then killed);
 * default 45 s, where a build takes about 2 s.
 */
export async function buildWebApp(timeoutMs = 45_000): Promise<WebAppBuild> {
  const outDir = await mkdtemp(path.join(tmpdir(), 'studyclock-web-'));
  const dispose = () => rm(outDir, { recursive: true, force: true });
  const started = performance.now();
  const vite = startVite(['build', '--outDir', outDir, '--emptyOutDir', '--logLevel', 'warn']);
  let timedOut = false;
  const deadline = setTimeout(() => {
    timedOut = true;
    void vite.stop();
  }, timeoutMs);
  await vite.done;
  clearTimeout(deadline);
  if (timedOut || vite.child.exitCode !== 0) {
    await dispose();
    const how = timedOut
      ? `did not finish within ${timeoutMs / 1000} s`
      : `exited with ${vite.child.exitCode ?? vite.child.signalCode ?? 'a spawn error'}`;
    throw new Error(`vite build ${how}:\n${vite.output()}`);
  }
  return { outDir, buildMs: Math.round(performance.now() - started), dispose };
}

/** Whether `err` says that the port was taken (Vite's `--strictPort` message, or Node's code). */
function isPortTaken(err: unknown): boolean {
  return err instanceof Error && /EADDRINUSE|Port \d+ is already in use/.test(err.message);
}

/**
 * Runs `start` on a {@link freePort}, and again on a new port (up to `attempts` in all, default
 * 3) while it fails because another process took the port between the probe and the bind.
 * `start` must release what it opened before it rejects. Rejects with the last failure.
 */
export async function onFreePort<T>(start: (port: number) => Promise<T>, attempts = 3): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    try {
      return await start(port);
    } catch (err) {
      if (attempt >= attempts || !isPortTaken(err)) throw err;
      process.stderr.write(`port ${port} was taken before the preview could bind it; trying another\n`);
    }
  }
}

/**
 * Serves `build` on 127.0.0.1:`port` with `vite preview`, /graphql proxied to `apiOrigin`;
 * resolves once it answers. Rejects with Vite's output when it exits first (`Port … is already
 * in use` when the port was taken) or does not answer within 15 s (it is then stopped).
 */
export async function startWebPreview(build: WebAppBuild, apiOrigin: string, port: number): Promise<WebAppPreview> {
  const origin = `http://127.0.0.1:${port}`;
  const vite = startVite(
    ['preview', '--outDir', build.outDir, '--host', '127.0.0.1', '--port', String(port), '--strictPort'],
    { STUDYCLOCK_API_URL: apiOrigin },
  );
  const deadline = Date.now() + 15_000;
  for (;;) {
    if (vite.exited()) throw new Error(`vite preview exited with ${vite.child.exitCode ?? vite.child.signalCode}:\n${vite.output()}`);
    const ready = await fetch(`${origin}/`, { signal: AbortSignal.timeout(2000) }).then(
      (res) => res.ok,
      () => false,
    );
    // Answered, but perhaps by another process that took the port: only ours counts.
    if (ready && !vite.exited()) return { origin, close: vite.stop };
    if (Date.now() > deadline) {
      await vite.stop();
      throw new Error(`vite preview did not answer on ${origin} within 15 s:\n${vite.output()}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
