import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';

// The reference web app (examples/web) as the browser suites use it: built once with Vite into
// a temporary folder, then served by `vite preview`, whose proxy sends /graphql (HTTP and
// WebSocket) to a test server. Vite runs in child processes: its bundler (Rolldown) is native
// code that does not belong inside Jest's module sandbox.

const VITE_BIN = path.resolve('node_modules', 'vite', 'bin', 'vite.js');
const VITE_CONFIG = path.resolve('examples', 'web', 'vite.config.ts');

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
  /** Stops the preview server. */
  close(): Promise<void>;
}

function runVite(args: string[], env: Record<string, string> = {}): ChildProcess {
  // Jest's NODE_OPTIONS (--experimental-vm-modules) is not for Vite.
  const { NODE_OPTIONS: _jestOnly, ...inherited } = process.env;
  return spawn(process.execPath, [VITE_BIN, ...args, '--config', VITE_CONFIG], {
    env: { ...inherited, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

function collectOutput(child: ChildProcess): () => string {
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  return () => output;
}

/** Builds examples/web into a fresh temporary folder (`vite build`); rejects with Vite's output on failure. */
export async function buildWebApp(): Promise<WebAppBuild> {
  const outDir = await mkdtemp(path.join(tmpdir(), 'studyclock-web-'));
  const started = performance.now();
  const child = runVite(['build', '--outDir', outDir, '--emptyOutDir', '--logLevel', 'warn']);
  const output = collectOutput(child);
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  if (code !== 0) {
    await rm(outDir, { recursive: true, force: true });
    throw new Error(`vite build exited with ${code}:\n${output()}`);
  }
  return {
    outDir,
    buildMs: Math.round(performance.now() - started),
    dispose: () => rm(outDir, { recursive: true, force: true }),
  };
}

/**
 * A free TCP port on 127.0.0.1. The preview's port must be known before the API starts (its
 * origin goes into ALLOWED_ORIGINS), and the API must be known before the preview starts (its
 * proxy target): so the port is picked first. Another process could take it in between; on
 * these machines nothing does.
 */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}

/** Serves `build` on 127.0.0.1:`port` with `vite preview`, /graphql proxied to `apiOrigin`; resolves once it answers. */
export async function startWebPreview(build: WebAppBuild, apiOrigin: string, port: number): Promise<WebAppPreview> {
  const origin = `http://127.0.0.1:${port}`;
  const child = runVite(
    ['preview', '--outDir', build.outDir, '--host', '127.0.0.1', '--port', String(port), '--strictPort'],
    { STUDYCLOCK_API_URL: apiOrigin },
  );
  const output = collectOutput(child);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const close = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
  };

  const deadline = Date.now() + 15_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`vite preview exited with ${child.exitCode}:\n${output()}`);
    const ready = await fetch(`${origin}/`).then(
      (res) => res.ok,
      () => false,
    );
    if (ready) return { origin, close };
    if (Date.now() > deadline) {
      await close();
      throw new Error(`vite preview did not answer on ${origin} within 15 s:\n${output()}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
