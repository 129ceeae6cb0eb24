import { type ChildProcessByStdio, spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { onPath, programUnavailable } from './required-program.js';
import { freePort } from './server.js';

/** The deployment's HAProxy configuration, as docker-compose.yml mounts it. */
export const DEPLOY_HAPROXY_CFG = new URL('../../deploy/haproxy.cfg', import.meta.url);

// Debian installs it in /usr/sbin, which a non-root PATH may leave out.
const haproxyPath = onPath('haproxy') ?? (existsSync('/usr/sbin/haproxy') ? '/usr/sbin/haproxy' : undefined);

/**
 * Why the load-balancer tests cannot run here, or null when they can (see `programUnavailable`:
 * `.ci/run` sets `HAPROXY_TESTS_UNAVAILABLE` when it cannot install HAProxy).
 */
export const haproxyUnavailable: string | null = programUnavailable({
  suite: 'load-balancer',
  found: haproxyPath !== undefined,
  missing: 'no haproxy on PATH (install it with `apt-get install -y haproxy`)',
  unavailableVariable: 'HAPROXY_TESTS_UNAVAILABLE',
});

/** `describe`, or `describe.skip` when HAProxy cannot be had. */
export const describeHaproxy = haproxyUnavailable ? describe.skip : describe;

/**
 * deploy/haproxy.cfg for a test: its one `bind` on 127.0.0.1:`port` and each of its `server`
 * lines on the address `servers` gives for that server's name; every other line as it is, so
 * the test runs the deployment's own settings (health check, timeouts, balancing). Throws when
 * the file's bind and servers are not exactly those the test expects.
 */
export function haproxyConfigFor(port: number, servers: Record<string, string>): string {
  const lines = readFileSync(DEPLOY_HAPROXY_CFG, 'utf8').split('\n');
  let binds = 0;
  const replaced = new Set<string>();
  const out = lines.map((line) => {
    const bind = /^(\s*)bind\s+\S+/.exec(line);
    if (bind) {
      binds++;
      return `${bind[1]}bind 127.0.0.1:${port}`;
    }
    const server = /^(\s*)server\s+(\S+)\s+\S+(.*)$/.exec(line);
    if (server) {
      const address = servers[server[2]!];
      if (address === undefined) throw new Error(`deploy/haproxy.cfg has a server the test does not know: ${server[2]}`);
      replaced.add(server[2]!);
      return `${server[1]}server ${server[2]} ${address}${server[3]}`;
    }
    return line;
  });
  if (binds !== 1) throw new Error(`deploy/haproxy.cfg has ${binds} bind lines; the test expects one`);
  const missing = Object.keys(servers).filter((name) => !replaced.has(name));
  if (missing.length > 0) throw new Error(`deploy/haproxy.cfg has no server ${missing.join(', ')}`);
  return out.join('\n');
}

/** `haproxy -c -f file`: its exit status and what it printed. */
export function checkHaproxyConfig(file: string): { status: number | null; output: string } {
  const result = spawnSync(haproxyPath!, ['-c', '-f', file], { encoding: 'utf8' });
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

/** A running `haproxy -db` on a generated configuration. */
export interface HaproxyProcess {
  /** `http://127.0.0.1:PORT` of its frontend. */
  origin: string;
  /** The generated configuration's path. */
  configFile: string;
  /** Everything it printed (its log and its alerts), stdout and stderr together. */
  output(): string;
  /** Stops it (SIGTERM, then SIGKILL after 2 s) and removes its temporary directory. */
  close(): Promise<void>;
}

/**
 * Writes {@link haproxyConfigFor} to a temporary directory and runs HAProxy on it in the
 * foreground (`-db`); resolves once its frontend accepts connections.
 */
export async function startHaproxy(servers: Record<string, string>): Promise<HaproxyProcess> {
  const port = await freePort();
  const dir = await mkdtemp(join(tmpdir(), 'studyclock-haproxy-'));
  const configFile = join(dir, 'haproxy.cfg');
  await writeFile(configFile, haproxyConfigFor(port, servers));
  const child: ChildProcessByStdio<null, Readable, Readable> = spawn(haproxyPath!, ['-f', configFile, '-db'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  const exited = new Promise<void>((resolve) => child.on('close', () => resolve()));
  const origin = `http://127.0.0.1:${port}`;
  const close = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), 2_000);
      await exited;
      clearTimeout(killer);
    }
    await rm(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (child.exitCode !== null) {
      await close();
      throw new Error(`haproxy exited with ${child.exitCode}:\n${output}`);
    }
    // Any answer will do (503 while no server is up yet): the frontend is listening.
    if (await fetch(`${origin}/healthz`).then(() => true, () => false)) break;
    if (Date.now() > deadline) {
      await close();
      throw new Error(`haproxy did not listen on ${origin}:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return { origin, configFile, output: () => output, close };
}
