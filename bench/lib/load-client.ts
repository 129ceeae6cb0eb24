import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { nextMessage, stopChild, trackChild, withTimeout } from './children.js';
import type { ClientProtocol, ConnectedMessage, CycledMessage, FromWorker, HandshakeSettings, ReportMessage, Subscriber, TokenSettings, ToWorker } from './protocol.js';

const WORKER = fileURLToPath(new URL('../load/worker.ts', import.meta.url));

/** What a ramp achieved, over all workers. */
export interface RampResult {
  connected: number;
  failed: number;
  failures: Record<string, number>;
  /** From the connect commands to the last first frame, in seconds. */
  seconds: number;
}

/** What all workers' subscribers received in the window: their reports, added up. */
export type WindowResult = Omit<ReportMessage, 'type'>;

/** How to spread the load. */
export interface LoadOptions {
  cwd: string;
  url: string;
  protocol: ClientProtocol;
  subscribers: readonly Subscriber[];
  /** Most sockets one worker process holds (each is a file descriptor). */
  perWorker: number;
  /** Handshakes in flight at once, over all workers. */
  concurrency: number;
  connectTimeoutMs: number;
  tokens: TokenSettings;
  /** Source address of worker `w`'s sockets. */
  localAddress: (worker: number) => string;
}

/**
 * The load client: subscribers spread over `ceil(N / perWorker)` worker processes (separate
 * processes, because the open-files limit is per process), each binding its sockets to its own
 * 127.x.y.z source address (one address has ~28k ephemeral ports, fewer while earlier runs'
 * sockets sit in TIME_WAIT).
 */
export class LoadClient {
  readonly #workers: ChildProcess[];
  readonly #options: LoadOptions;
  /** Workers the orchestrator asked to exit, whose exit is therefore not a failure. */
  readonly #closing = new WeakSet<ChildProcess>();
  readonly #failure: Promise<never>;

  private constructor(workers: ChildProcess[], options: LoadOptions) {
    this.#workers = workers;
    this.#options = options;
    // Any worker that dies or reports a fatal error fails whatever is being awaited.
    this.#failure = new Promise<never>((_, reject) => {
      for (const [i, worker] of workers.entries()) {
        worker.on('message', (m: FromWorker) => {
          if (m.type === 'fatal') reject(new Error(`load worker ${i}: ${m.message}`));
        });
        worker.once('exit', (code, signal) => {
          if (!this.#closing.has(worker)) reject(new Error(`load worker ${i} exited (${signal ?? code})`));
        });
      }
    });
    this.#failure.catch(() => {});
  }

  /**
   * Starts the worker processes; resolves once each has loaded and said so, so that the ramp's
   * clock does not include their start-up.
   */
  static async start(options: LoadOptions): Promise<LoadClient> {
    const count = Math.max(1, Math.ceil(options.subscribers.length / options.perWorker));
    const workers = Array.from({ length: count }, () =>
      trackChild(fork(WORKER, [], { cwd: options.cwd, execArgv: ['--import', 'tsx'], serialization: 'advanced', stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })),
    );
    const client = new LoadClient(workers, options);
    const ready = Promise.all(workers.map((worker) => client.#next(worker, 'ready')));
    try {
      await withTimeout(Promise.race([ready, client.#failure]), 30_000, 'starting load workers');
    } catch (err) {
      await client.close();
      throw err;
    }
    return client;
  }

  /** Worker processes in use. */
  get workers(): number {
    return this.#workers.length;
  }

  /** The worker processes' ids (for their CPU time). */
  get pids(): number[] {
    return this.#workers.map((w) => w.pid!);
  }

  /**
   * Opens every subscription (connect, authenticate, subscribe, first frame) and resolves when
   * each has its first frame or has failed. `onProgress` hears the running totals about once a second.
   */
  async ramp(timeoutMs: number, onProgress?: (connected: number, failed: number) => void): Promise<RampResult> {
    const progress = this.#workers.map(() => ({ connected: 0, failed: 0 }));
    const startedAt = Date.now();
    const results = this.#workers.map((worker, i) => {
      const onMessage = (m: FromWorker) => {
        if (m.type !== 'progress') return;
        progress[i] = m;
        onProgress?.(progress.reduce((a, p) => a + p.connected, 0), progress.reduce((a, p) => a + p.failed, 0));
      };
      worker.on('message', onMessage);
      const done = this.#next<ConnectedMessage>(worker, 'connected').finally(() => worker.off('message', onMessage));
      this.#send(worker, { type: 'connect', ...this.#handshake(i) });
      return done;
    });
    const all = await withTimeout(Promise.race([Promise.all(results), this.#failure]), timeoutMs, 'ramp');
    const failures: Record<string, number> = {};
    for (const r of all) for (const [reason, n] of Object.entries(r.failures)) failures[reason] = (failures[reason] ?? 0) + n;
    const lastFirstFrameAt = Math.max(...all.map((r) => r.lastFirstFrameAt));
    return {
      connected: all.reduce((a, r) => a + r.connected, 0),
      failed: all.reduce((a, r) => a + r.failed, 0),
      failures,
      seconds: (lastFirstFrameAt - startedAt) / 1000,
    };
  }

  /**
   * `cycles` connect–subscribe–first frame–close cycles over the subscribers, spread over the
   * workers (each its share of the subscribers and of the cycles); resolves when all are done.
   */
  async cycle(cycles: number, timeoutMs: number): Promise<{ completed: number; failed: number; failures: Record<string, number>; seconds: number }> {
    const perWorker = Math.ceil(cycles / this.#workers.length);
    const startedAt = Date.now();
    const results = this.#workers.map((worker, i) => {
      const done = this.#next<CycledMessage>(worker, 'cycled');
      this.#send(worker, { type: 'cycle', cycles: Math.min(perWorker, cycles - i * perWorker), ...this.#handshake(i) });
      return done;
    });
    const all = await withTimeout(Promise.race([Promise.all(results), this.#failure]), timeoutMs, 'cycles');
    const failures: Record<string, number> = {};
    for (const r of all) for (const [reason, n] of Object.entries(r.failures)) failures[reason] = (failures[reason] ?? 0) + n;
    return { completed: all.reduce((a, r) => a + r.completed, 0), failed: all.reduce((a, r) => a + r.failed, 0), failures, seconds: (Date.now() - startedAt) / 1000 };
  }

  /** Tells every worker which ticks to count: those scheduled in [fromMs, toMs). */
  measure(fromMs: number, toMs: number): void {
    for (const worker of this.#workers) this.#send(worker, { type: 'measure', fromMs, toMs });
  }

  /** Collects and merges the workers' window results. */
  async report(timeoutMs: number): Promise<WindowResult> {
    const reports = this.#workers.map((worker) => {
      const next = this.#next<ReportMessage>(worker, 'report');
      this.#send(worker, { type: 'report' });
      return next;
    });
    const all = await withTimeout(Promise.race([Promise.all(reports), this.#failure]), timeoutMs, 'collecting results');
    const closedAfterConnect: Record<string, number> = {};
    for (const r of all) for (const [code, n] of Object.entries(r.closedAfterConnect)) closedAfterConnect[code] = (closedAfterConnect[code] ?? 0) + n;
    return {
      subscribers: all.reduce((a, r) => a + r.subscribers, 0),
      expected: all.reduce((a, r) => a + r.expected, 0),
      received: all.reduce((a, r) => a + r.received, 0),
      latenciesMs: concatSamples(all.map((r) => r.latenciesMs)),
      jittersMs: concatSamples(all.map((r) => r.jittersMs)),
      closedAfterConnect,
    };
  }

  /** Closes every socket and ends the workers (SIGKILL for one that does not exit in 10 s). */
  async close(): Promise<void> {
    await Promise.all(
      this.#workers.map(async (worker) => {
        this.#closing.add(worker);
        if (worker.connected) this.#send(worker, { type: 'close' });
        const exited = worker.exitCode !== null || worker.signalCode !== null ? Promise.resolve() : new Promise((r) => worker.once('exit', r));
        await withTimeout(exited, 10_000, 'closing a load worker').catch(() => stopChild(worker, 1_000));
      }),
    );
  }

  /** Worker `i`'s share of the subscribers and of the handshakes in flight, and how to open them. */
  #handshake(i: number): HandshakeSettings {
    const { subscribers, concurrency } = this.#options;
    const share = Math.ceil(subscribers.length / this.#workers.length);
    return {
      url: this.#options.url,
      protocol: this.#options.protocol,
      subscribers: subscribers.slice(i * share, (i + 1) * share),
      localAddress: this.#options.localAddress(i),
      concurrency: Math.ceil(concurrency / this.#workers.length),
      connectTimeoutMs: this.#options.connectTimeoutMs,
      tokens: this.#options.tokens,
    };
  }

  #send(worker: ChildProcess, message: ToWorker): void {
    worker.send(message);
  }

  #next<T extends FromWorker>(worker: ChildProcess, type: T['type']): Promise<T> {
    return nextMessage<FromWorker, T>(worker, type);
  }
}

/** The samples of several reports, one after the other. */
export function concatSamples(parts: Float64Array[]): Float64Array {
  const out = new Float64Array(parts.reduce((a, p) => a + p.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}
