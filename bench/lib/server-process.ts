import { type ChildProcess, spawn } from 'node:child_process';
import { request } from 'node:http';
import { createServer } from 'node:net';
import { sleep, stopChild, trackChild, withTimeout } from './children.js';
import { readHeapAfterGc } from './inspector.js';
import { openFds, rssBytes } from './proc.js';
import type { MemoryReading } from './report.js';

/** A server under test, running as a child process with its V8 inspector on 127.0.0.1. */
export interface ServerProcess {
  readonly pid: number;
  readonly port: number;
  /** `ws://127.0.0.1:<port>/graphql`. */
  readonly url: string;
  /** Where {@link readHeapAfterGc} reaches its heap. */
  readonly inspectorUrl: string;
  /** The last lines it wrote (stdout and stderr), for error messages. */
  logTail(): string;
  /** SIGTERM, SIGKILL after `graceMs`; resolves once it has exited. */
  stop(graceMs?: number): Promise<void>;
}

/** What to run: `node --inspect=127.0.0.1:0 <args>` in `cwd`, with exactly `env`. */
export interface ServerCommand {
  name: string;
  args: string[];
  cwd: string;
  env: Record<string, string>;
  port: number;
  readyTimeoutMs: number;
}

/** A TCP port free on 127.0.0.1 at the time of asking. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

const TAIL_LINES = 40;

/**
 * Starts a server and resolves once `GET /healthz` answers 200 on its port and its inspector
 * has said where it listens. Rejects (after killing it) if it exits or is not ready within
 * `readyTimeoutMs`, with the end of its output in the message.
 */
export async function startServerProcess(command: ServerCommand): Promise<ServerProcess> {
  const child: ChildProcess = trackChild(
    spawn(process.execPath, ['--inspect=127.0.0.1:0', ...command.args], {
      cwd: command.cwd,
      env: command.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    }),
  );
  const tail: string[] = [];
  let inspectorUrl: string | undefined;
  // Always drained: a child whose pipe fills up blocks on its next log line.
  for (const stream of [child.stdout!, child.stderr!]) {
    let partial = '';
    stream.setEncoding('utf8');
    stream.on('data', (text: string) => {
      const lines = (partial + text).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) {
        inspectorUrl ??= /Debugger listening on (ws:\/\/\S+)/.exec(line)?.[1];
        tail.push(line);
        if (tail.length > TAIL_LINES) tail.shift();
      }
    });
  }
  const logTail = () => tail.join('\n');
  const exited = new Promise<never>((_, reject) =>
    child.once('exit', (code, signal) => reject(new Error(`${command.name} exited (${signal ?? code}) before it was ready:\n${logTail()}`))),
  );
  exited.catch(() => {});
  let waiting = true;
  const ready = (async () => {
    while (waiting) {
      if (inspectorUrl && (await healthy(command.port))) return inspectorUrl;
      await sleep(100);
    }
    return '';
  })();
  try {
    const url = await withTimeout(Promise.race([ready, exited]), command.readyTimeoutMs, `starting ${command.name}`);
    return {
      pid: child.pid!,
      port: command.port,
      url: `ws://127.0.0.1:${command.port}/graphql`,
      inspectorUrl: url,
      logTail,
      stop: (graceMs = 30_000) => stopChild(child, graceMs),
    };
  } catch (err) {
    await stopChild(child, 1_000);
    throw err;
  } finally {
    waiting = false;
  }
}

function healthy(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path: '/healthz', timeout: 1_000 }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('error', () => resolve(false));
    req.on('timeout', () => req.destroy());
    req.end();
  });
}

/** A server's memory right after a full garbage collection: its V8 heap, Buffers, RSS and open files. */
export async function readMemory(server: ServerProcess): Promise<MemoryReading> {
  const heap = await readHeapAfterGc(server.inspectorUrl);
  return { heapUsedBytes: heap.usedBytes, backingStoreBytes: heap.backingStoreBytes, rssBytes: rssBytes(server.pid), openFds: openFds(server.pid) };
}
