/**
 * The scale-out benchmark: one studyclock instance (single-process mode, no Redis) against a
 * cluster of two (two processes on one PostgreSQL and Redis), with the same total of ticking
 * subscribers, measured the same way in the same run. See bench/README.md ("The scale-out
 * benchmark") for what is measured and how.
 *
 *   npm run bench:scale-out -- --sizes=4000,8000,12000 --window=15
 */
import { randomBytes } from 'node:crypto';
import { type ChildProcess, fork } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import type { ChangeReport, ChurnReport, FromChangeWorker, ToChangeWorker } from './lib/change-protocol.js';
import { cleanUpOnStop, killAllChildren, log, nextMessage, runMain, sleep, stopChild, trackChild, withTimeout } from './lib/children.js';
import { type BenchDatabase, createBenchDatabase, makeStudents, POSTGRES, resetStudents, seedStudents } from './lib/database.js';
import { concatSamples, LoadClient, type WindowResult } from './lib/load-client.js';
import { CpuCap, type Throttling, throttlingBetween } from './lib/cpu-cap.js';
import { positiveInt } from './lib/options.js';
import { type CpuProfile, startCpuProfile, topSelfTime } from './lib/inspector.js';
import { cpuSeconds, machineCpuSeconds, processCpuSeconds } from './lib/proc.js';
import type { Subscriber, TokenSettings } from './lib/protocol.js';
import { countsBetween, QueryCounter } from './lib/query-counter.js';
import { type Percentiles, percentiles } from './lib/report.js';
import { freePort, type ServerProcess, startServerProcess } from './lib/server-process.js';
import { buildStudyclock, STUDYCLOCK_ARGS, studyclockEnv } from './lib/studyclock.js';

const REPO = fileURLToPath(new URL('..', import.meta.url));
const CHANGE_WORKER = fileURLToPath(new URL('./load/changes.ts', import.meta.url));
const REDIS_URL = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';
const LATE_GRACE_MS = 3_000;
const METRICS_TOKEN = randomBytes(24).toString('hex');
/** Heartbeat period studyclock's instances use (CLUSTER_HEARTBEAT_SECONDS's default). */
const HEARTBEAT_SECONDS = 5;
/** Sockets one studyclock process can hold: the open-files limit of 20,000 less what it needs besides. */
const MAX_SOCKETS_PER_INSTANCE = 19_900;

const MODES = ['single', 'cluster'] as const;
type Mode = (typeof MODES)[number];

interface Options {
  sizes: number[];
  modes: Mode[];
  windowSeconds: number;
  settleSeconds: number;
  changeRate: number;
  redisRate: number;
  churnRate: number;
  changeStudents: number;
  capacityP99Ms: number;
  perWorker: number;
  concurrency: number;
  /** DATABASE_POOL_MAX of every instance. */
  poolMax: number;
  /** Whether each instance's tick window is CPU-profiled. */
  profile: boolean;
  /** Each instance's CPU budget, in cores (a cgroup of its own); undefined: no cap. */
  cpuCap: number | undefined;
  outDir: string;
}

const USAGE = `npm run bench:scale-out -- [flags]

  --sizes=2000,8000,14000,18000,24000,30000,36000
                          ticking subscribers in all (the capacity sweep; a mode stops at its
                          first size over --capacity-p99 or missing ticks)
  --modes=single,cluster  one instance without Redis, two instances on PostgreSQL and Redis
  --window=15             seconds of each measured window
  --settle=11             seconds between the ramp and the first window
  --change-rate=500       changes (pause or resume over HTTP) a second in the delivery window
  --redis-rate=1000       changes a second in the Redis window
  --churn-rate=25         sockets opened (and closed a second later) a second in the presence window
  --change-students=1000  sessions the changes go round (each has a subscriber)
  --capacity-p99=50       tick delivery p99 (ms) a size must stay within to count as held
  --per-worker=5000       most sockets per load-client process
  --concurrency=200       handshakes in flight at once, over all load processes
  --pool-max=10           DATABASE_POOL_MAX of every instance (studyclock's default: 10)
  --profile=no            yes: CPU-profile every instance's tick window (.cpuprofile beside the
                          JSON, top functions printed); a profiled run's CPU figures run high
  --cpu-cap=none          a fraction of a core (0.4): every instance, in both modes, gets that
                          CPU budget from a cgroup of its own (needs root), so that capacity
                          compares instances of equal budget rather than what the load clients
                          leave of the machine's cores; such a run measures ticking alone
  --out=artifacts/bench   where the JSON result goes
`;

function parseOptions(argv: readonly string[]): Options {
  const options: Options = {
    sizes: [2_000, 8_000, 14_000, 18_000, 24_000, 30_000, 36_000],
    modes: [...MODES],
    windowSeconds: 15,
    settleSeconds: 11,
    changeRate: 500,
    redisRate: 1_000,
    churnRate: 25,
    changeStudents: 1_000,
    capacityP99Ms: 50,
    perWorker: 5_000,
    concurrency: 200,
    poolMax: 10,
    profile: false,
    cpuCap: undefined,
    outDir: 'artifacts/bench',
  };
  const problems: string[] = [];
  for (const arg of argv) {
    const [, name, value] = /^--([a-z0-9-]+)=(.*)$/.exec(arg) ?? [];
    if (name === undefined || value === undefined) {
      problems.push(`unknown argument "${arg}"`);
      continue;
    }
    try {
      const int = () => positiveInt(name, value);
      switch (name) {
        case 'sizes': options.sizes = value.split(',').map((v) => positiveInt(name, v.trim())); break;
        case 'modes': {
          const modes = value.split(',').map((v) => v.trim());
          const unknown = modes.filter((m) => !(MODES as readonly string[]).includes(m));
          if (unknown.length > 0) throw new Error(`--modes: unknown ${unknown.join(', ')} (known: ${MODES.join(', ')})`);
          options.modes = MODES.filter((m) => modes.includes(m));
          break;
        }
        case 'window': options.windowSeconds = int(); break;
        case 'settle': options.settleSeconds = int(); break;
        case 'change-rate': options.changeRate = int(); break;
        case 'redis-rate': options.redisRate = int(); break;
        case 'churn-rate': options.churnRate = int(); break;
        case 'change-students': options.changeStudents = int(); break;
        case 'capacity-p99': options.capacityP99Ms = int(); break;
        case 'per-worker': options.perWorker = int(); break;
        case 'concurrency': options.concurrency = int(); break;
        case 'pool-max': options.poolMax = int(); break;
        case 'profile':
          if (value !== 'yes' && value !== 'no') throw new Error('--profile: yes or no');
          options.profile = value === 'yes';
          break;
        case 'cpu-cap': {
          const cap = Number(value);
          if (value !== 'none' && !(cap > 0 && cap <= 64)) throw new Error('--cpu-cap: a fraction of a core above 0 (0.4), or none');
          options.cpuCap = value === 'none' ? undefined : cap;
          break;
        }
        case 'out': options.outDir = value; break;
        default: problems.push(`unknown flag --${name}`);
      }
    } catch (err) {
      problems.push((err as Error).message);
    }
  }
  if (problems.length > 0) throw new Error(`${problems.join('\n')}\n\n${USAGE}`);
  return options;
}

/** Everything the runs share. */
interface Bench {
  options: Options;
  tokens: TokenSettings;
  db: BenchDatabase;
  counter: QueryCounter;
  redis: Redis;
  /** Ticking students (the largest size), then the change students, then the churn students. */
  ticking: Subscriber[];
  changing: Subscriber[];
  churning: Subscriber[];
  addressBlocks: number;
  /** The tick windows' CPU profiles (with --profile), by run and instance. */
  profiles: { name: string; profile: CpuProfile }[];
}

function nextBlock(bench: Bench): number {
  const block = ++bench.addressBlocks;
  if (block > 255) throw new Error('out of source-address blocks (127.1.0.0/16)');
  return block;
}

/** The change process (bench/load/changes.ts): one per run. */
class ChangeProcess {
  readonly #child: ChildProcess;
  readonly #failure: Promise<never>;
  #closing = false;
  /** Settles once the process has loaded. */
  readonly ready: Promise<void>;

  constructor() {
    this.#child = trackChild(fork(CHANGE_WORKER, [], { cwd: REPO, execArgv: ['--import', 'tsx'], serialization: 'advanced', stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }));
    this.ready = this.ask(undefined, 'ready', 30_000).then(() => {});
    this.ready.catch(() => {});
    this.#failure = new Promise<never>((_, reject) => {
      this.#child.on('message', (m: FromChangeWorker) => m.type === 'fatal' && reject(new Error(`change process: ${m.message}`)));
      this.#child.once('exit', (code, signal) => !this.#closing && reject(new Error(`change process exited (${signal ?? code})`)));
    });
    this.#failure.catch(() => {});
  }

  async ask<T extends FromChangeWorker>(message: ToChangeWorker | undefined, reply: T['type'], timeoutMs: number): Promise<T> {
    const answer = nextMessage<FromChangeWorker, T>(this.#child, reply);
    if (message) this.#child.send(message);
    return withTimeout(Promise.race([answer, this.#failure]), timeoutMs, `change process: ${reply}`);
  }

  async close(): Promise<void> {
    this.#closing = true;
    if (this.#child.connected) await this.ask({ type: 'close' }, 'closed', 10_000).catch(() => {});
    await stopChild(this.#child, 1_000);
  }
}

interface Instance {
  server: ServerProcess;
  load: LoadClient;
  /** Its CPU budget (--cpu-cap). */
  cap: CpuCap | undefined;
}

/** Every cgroup made and not yet removed, for the clean-up on a signal. */
const caps = new Set<CpuCap>();

/** Redis's own CPU seconds so far (user + system), from INFO. */
async function redisCpuSeconds(redis: Redis): Promise<number> {
  const info = await redis.info('cpu');
  const read = (key: string) => Number(new RegExp(`^${key}:([\\d.]+)`, 'm').exec(info)?.[1] ?? NaN);
  return read('used_cpu_user') + read('used_cpu_sys');
}

/** Redis's commands that serve the cluster stream (appends, blocking reads, the reader's checks for a gap). */
const STREAM_COMMANDS = /^(xadd|xread|xrange|xrevrange|xinfo|xlen|xtrim)/;

/** Redis's own count of the commands it ran so far, all of them and the stream's, from INFO commandstats. */
async function redisCommands(redis: Redis): Promise<{ calls: number; streamCalls: number }> {
  const info = await redis.info('commandstats');
  let calls = 0;
  let streamCalls = 0;
  for (const [, command, n] of info.matchAll(/^cmdstat_([a-z|]+):calls=(\d+)/gm)) {
    calls += Number(n);
    if (STREAM_COMMANDS.test(command!)) streamCalls += Number(n);
  }
  return { calls, streamCalls };
}

function scrapeMetrics(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: '/metrics', headers: { authorization: `Bearer ${METRICS_TOKEN}` }, timeout: 5_000 }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => (res.statusCode === 200 ? resolve(text) : reject(new Error(`/metrics answered ${res.statusCode}`))));
    });
    req.on('error', reject);
    req.on('timeout', () => req.destroy(new Error('/metrics timed out')));
    req.end();
  });
}

/** The cumulative buckets of studyclock_cluster_delivery_lag_seconds: upper bound (s) → count. */
function lagBuckets(metrics: string): [number, number][] {
  const out: [number, number][] = [];
  for (const [, le, n] of metrics.matchAll(/^studyclock_cluster_delivery_lag_seconds_bucket\{le="([^"]+)"\} (\d+)/gm)) {
    out.push([le === '+Inf' ? Infinity : Number(le), Number(n)]);
  }
  return out;
}

/** p50 and p99 of the lag recorded between two scrapes, as bucket upper bounds in ms. */
function lagPercentiles(before: [number, number][], after: [number, number][]): { count: number; p50AtMostMs: number; p99AtMostMs: number } {
  const counts = after.map(([le, n], i) => [le, n - (before[i]?.[1] ?? 0)] as const);
  const total = counts.at(-1)?.[1] ?? 0;
  const at = (q: number) => (counts.find(([, n]) => n >= q * total)?.[0] ?? NaN) * 1000;
  return { count: total, p50AtMostMs: at(0.5), p99AtMostMs: at(0.99) };
}

/**
 * An instance's event loop and garbage collector over a window, from its /metrics (prom-client's
 * default series): the loop's delay p99 and max (the histogram restarts at every scrape, so
 * the window's own), and the collector's pauses by kind (cumulative: the window's difference).
 * Tells a tail made by a stall in the server from one made by the load clients or the machine.
 */
interface LoopReading {
  lagP99Ms: number;
  lagMaxMs: number;
  /** By kind (major, minor, incremental, weakcb): pauses and their total in the window. */
  gc: Record<string, { count: number; ms: number }>;
}

function gcTotals(metrics: string): Record<string, { count: number; ms: number }> {
  const totals: Record<string, { count: number; ms: number }> = {};
  for (const [, stat, kind, value] of metrics.matchAll(/^nodejs_gc_duration_seconds_(sum|count)\{kind="([a-z]+)"\} ([\d.e+-]+)/gm)) {
    const total = (totals[kind!] ??= { count: 0, ms: 0 });
    if (stat === 'sum') total.ms = Number(value) * 1000;
    else total.count = Number(value);
  }
  return totals;
}

function loopReading(before: string, after: string): LoopReading {
  const gauge = (name: string) => Number(new RegExp(`^${name} ([\\d.e+-]+)`, 'm').exec(after)?.[1] ?? NaN) * 1000;
  const [from, to] = [gcTotals(before), gcTotals(after)];
  const gc = Object.fromEntries(Object.entries(to).map(([kind, t]) => [kind, { count: t.count - (from[kind]?.count ?? 0), ms: t.ms - (from[kind]?.ms ?? 0) }]));
  return { lagP99Ms: gauge('nodejs_eventloop_lag_p99_seconds'), lagMaxMs: gauge('nodejs_eventloop_lag_max_seconds'), gc };
}

/** What one measured window read off the processes. */
interface Snapshot {
  at: number;
  /** The PostgreSQL server's next transaction id (see {@link BenchDatabase.nextTransactionId}). */
  nextXid: number;
  cpu: number[];
  /** System (kernel) CPU seconds per instance: part of `cpu`. */
  kernelCpu: number[];
  redisCpu: number;
  /** The load clients' worker processes, all together. */
  loadCpu: number;
  /** The whole machine, over all its cores. */
  machine: { busy: number; idle: number };
  redisCommands: { calls: number; streamCalls: number };
  statements: Map<string, number>;
  /** Per instance, with --cpu-cap. */
  throttling: (Throttling | undefined)[];
}

async function snapshot(bench: Bench, instances: Instance[]): Promise<Snapshot> {
  const cpu = instances.map((i) => processCpuSeconds(i.server.pid));
  const loadCpu = instances.flatMap((i) => i.load.pids).reduce((a, pid) => a + cpuSeconds(pid), 0);
  const machine = machineCpuSeconds();
  return { at: Date.now(), nextXid: await bench.db.nextTransactionId(), cpu: cpu.map((c) => c.user + c.system), kernelCpu: cpu.map((c) => c.system), redisCpu: await redisCpuSeconds(bench.redis), loadCpu, machine, redisCommands: await redisCommands(bench.redis), statements: bench.counter.snapshot(), throttling: instances.map((i) => i.cap?.throttling()) };
}

/**
 * Writes between two snapshots, per second: write transactions on the whole PostgreSQL server
 * (each one commit; the figure the goal is about), and the statements that wrote the presence
 * tables (and last-seen), each named by the writes it makes (a data-modifying `with` makes
 * several: `delete from "presence_pending" + insert into "ws_connections"`).
 */
function presenceWrites(from: Snapshot, to: Snapshot): { transactionsPerSecond: number; statementsPerSecond: number; byStatement: Record<string, number> } {
  const seconds = (to.at - from.at) / 1000;
  const byStatement: Record<string, number> = {};
  for (const [sql, n] of countsBetween(from.statements, to.statements)) {
    const writes = [...sql.matchAll(PRESENCE_WRITE)].map((m) => `${m[1]!.toLowerCase()} "${m[2]}"`);
    if (writes.length === 0) continue;
    const name = writes.join(' + ');
    byStatement[name] = (byStatement[name] ?? 0) + n / seconds;
  }
  return { transactionsPerSecond: (to.nextXid - from.nextXid) / seconds, statementsPerSecond: Object.values(byStatement).reduce((a, b) => a + b, 0), byStatement };
}

/** A write to a presence table, or of a student's last-seen instant, anywhere in a statement. */
const PRESENCE_WRITE = /\b(insert into|update|delete from) "(instances|ws_connections|presence_pending|users(?=" set "last_seen_at"))"/gi;

interface TickWindow {
  subscribers: number;
  missedPercent: number;
  latencyMs: Percentiles;
  jitterMs: Percentiles;
  /** CPU µs per subscriber-tick, per instance (its CPU over the ticks its own subscribers received). */
  cpuPerSubscriberTickMicros: number[];
  /** Of each instance's CPU, the share spent in the kernel on its behalf (socket writes, wake-ups). */
  kernelSharePercent: number[];
  cpuUtilisationPercent: number[];
  redisCpuPercent: number;
  /**
   * Where the machine's CPU went in the window, in % of one core: all of it busy (of
   * `cores × 100`), the instances, the load clients, Redis, and the rest (PostgreSQL, this
   * script, the system). Whether a size failed because one process ran out of its core or the
   * machine ran out of cores.
   */
  machine: { cores: number; busyPercent: number; instancesPercent: number; loadClientsPercent: number; redisPercent: number; restPercent: number };
  /** Per instance: its event loop and garbage collector in the window. */
  loops: LoopReading[];
  /** Per instance, with --cpu-cap: how often its budget held it back in the window. */
  throttling?: Throttling[];
  presenceWrites: ReturnType<typeof presenceWrites>;
}

interface ChangeWindow {
  rate: number;
  perSecond: number;
  changes: number;
  errors: Record<string, number>;
  lost: number;
  duplicates: number;
  sentToFrameMs: Percentiles;
  answeredToFrameMs: Percentiles;
  sentToAnswerMs: Percentiles;
  /** The watching instance's own histogram (cluster mode): its stream entry's publish → delivery. */
  serverLag?: ReturnType<typeof lagPercentiles>;
  redisCpuPercent: number;
  /**
   * The stream's share of it, by its share of the commands Redis ran (the rest: the rate limits,
   * a few per mutation): a command's cost is mostly reading and answering it.
   */
  redisStreamCpuPercent: number;
  /** Stream commands per change (the append, the readers' share of a blocking read). */
  streamCommandsPerChange: number;
  cpuUtilisationPercent: number[];
}

interface ChurnWindow {
  connectsPerSecond: number;
  disconnectsPerSecond: number;
  failures: Record<string, number>;
  presenceWrites: ReturnType<typeof presenceWrites>;
  /** Connects + disconnects a second + one heartbeat per instance per 5 s (cluster mode). */
  goalPerSecond: number;
}

interface Run {
  mode: Mode;
  instances: number;
  subscribers: number;
  error?: string;
  ramp?: { connected: number; failed: number; seconds: number };
  ticks?: TickWindow;
  changes?: ChangeWindow[];
  churn?: ChurnWindow;
  held?: boolean;
}

function windowPercent(from: Snapshot, to: Snapshot, value: (s: Snapshot) => number): number {
  return ((value(to) - value(from)) / ((to.at - from.at) / 1000)) * 100;
}

async function measureTicks(bench: Bench, instances: Instance[]): Promise<TickWindow> {
  const { windowSeconds } = bench.options;
  const fromMs = Date.now() + 500;
  const toMs = fromMs + windowSeconds * 1000;
  for (const { load } of instances) load.measure(fromMs, toMs);
  await sleep(fromMs - Date.now());
  const metricsBefore = await Promise.all(instances.map(({ server }) => scrapeMetrics(server.port)));
  const start = await snapshot(bench, instances);
  await sleep(toMs - Date.now());
  const end = await snapshot(bench, instances);
  const metricsAfter = await Promise.all(instances.map(({ server }) => scrapeMetrics(server.port)));
  await sleep(LATE_GRACE_MS);
  const reports: WindowResult[] = [];
  for (const { load } of instances) reports.push(await load.report(60_000));
  const expected = reports.reduce((a, r) => a + r.expected, 0);
  const received = reports.reduce((a, r) => a + r.received, 0);
  const all = (pick: (r: WindowResult) => Float64Array) => concatSamples(reports.map(pick));
  return {
    subscribers: reports.reduce((a, r) => a + r.subscribers, 0),
    missedPercent: expected === 0 ? NaN : ((expected - received) / expected) * 100,
    latencyMs: percentiles(all((r) => r.latenciesMs)),
    jitterMs: percentiles(all((r) => r.jittersMs)),
    cpuPerSubscriberTickMicros: instances.map((_, i) => ((end.cpu[i]! - start.cpu[i]!) * 1e6) / reports[i]!.received),
    kernelSharePercent: instances.map((_, i) => ((end.kernelCpu[i]! - start.kernelCpu[i]!) / (end.cpu[i]! - start.cpu[i]!)) * 100),
    cpuUtilisationPercent: instances.map((_, i) => windowPercent(start, end, (s) => s.cpu[i]!)),
    redisCpuPercent: windowPercent(start, end, (s) => s.redisCpu),
    machine: machineShare(start, end),
    loops: instances.map((_, i) => loopReading(metricsBefore[i]!, metricsAfter[i]!)),
    ...(bench.options.cpuCap !== undefined && { throttling: instances.map((_, i) => throttlingBetween(start.throttling[i]!, end.throttling[i]!)) }),
    presenceWrites: presenceWrites(start, end),
  };
}

function machineShare(start: Snapshot, end: Snapshot): TickWindow['machine'] {
  const busy = end.machine.busy - start.machine.busy;
  const all = busy + end.machine.idle - start.machine.idle;
  const cores = os.cpus().length;
  // /proc/stat's counters are the machine's CPU seconds over all cores: scaled to the window's
  // wall time by their own total, so that a late read of one counter cannot skew the shares.
  const percent = (seconds: number) => (seconds / (all / cores)) * 100;
  const instancesPercent = percent(end.cpu.reduce((a, c, i) => a + c - start.cpu[i]!, 0));
  const loadClientsPercent = percent(end.loadCpu - start.loadCpu);
  const redisPercent = percent(end.redisCpu - start.redisCpu);
  const busyPercent = percent(busy);
  return { cores, busyPercent, instancesPercent, loadClientsPercent, redisPercent, restPercent: busyPercent - instancesPercent - loadClientsPercent - redisPercent };
}

async function measureChanges(bench: Bench, instances: Instance[], changes: ChangeProcess, rate: number, mode: Mode): Promise<ChangeWindow> {
  const fromMs = Date.now() + 500;
  const toMs = fromMs + bench.options.windowSeconds * 1000;
  const watcher = instances.at(-1)!.server;
  const lagBefore = mode === 'cluster' ? lagBuckets(await scrapeMetrics(watcher.port)) : undefined;
  const report = changes.ask<ChangeReport>({ type: 'changes', rate, fromMs, toMs }, 'changes', bench.options.windowSeconds * 1000 + 120_000);
  await sleep(fromMs - Date.now());
  const start = await snapshot(bench, instances);
  await sleep(toMs - Date.now());
  const end = await snapshot(bench, instances);
  const r = await report;
  const lagAfter = lagBefore ? lagBuckets(await scrapeMetrics(watcher.port)) : undefined;
  return {
    rate,
    perSecond: r.perSecond,
    changes: r.changes,
    errors: r.errors,
    lost: r.lost,
    duplicates: r.duplicates,
    sentToFrameMs: percentiles(r.sentToFrameMs),
    answeredToFrameMs: percentiles(r.answeredToFrameMs),
    sentToAnswerMs: percentiles(r.sentToAnswerMs),
    serverLag: lagBefore && lagAfter ? lagPercentiles(lagBefore, lagAfter) : undefined,
    redisCpuPercent: windowPercent(start, end, (s) => s.redisCpu),
    redisStreamCpuPercent:
      windowPercent(start, end, (s) => s.redisCpu) *
      ((end.redisCommands.streamCalls - start.redisCommands.streamCalls) / Math.max(1, end.redisCommands.calls - start.redisCommands.calls)),
    streamCommandsPerChange: (end.redisCommands.streamCalls - start.redisCommands.streamCalls) / r.changes,
    cpuUtilisationPercent: instances.map((_, i) => windowPercent(start, end, (s) => s.cpu[i]!)),
  };
}

async function measureChurn(bench: Bench, instances: Instance[], changes: ChangeProcess): Promise<ChurnWindow> {
  const { windowSeconds, churnRate } = bench.options;
  const fromMs = Date.now() + 500;
  const toMs = fromMs + windowSeconds * 1000;
  const report = changes.ask<ChurnReport>({ type: 'churn', students: bench.churning, rate: churnRate, fromMs, toMs, holdMs: 1_000 }, 'churn', windowSeconds * 1000 + 60_000);
  await sleep(fromMs - Date.now());
  const start = await snapshot(bench, instances);
  // The last sockets opened close a second after the window: the snapshot waits for them.
  await sleep(toMs + 1_500 - Date.now());
  const end = await snapshot(bench, instances);
  const r = await report;
  const seconds = (end.at - start.at) / 1000;
  const connectsPerSecond = r.opened / seconds;
  const disconnectsPerSecond = r.closed / seconds;
  return {
    connectsPerSecond,
    disconnectsPerSecond,
    failures: r.failures,
    presenceWrites: presenceWrites(start, end),
    goalPerSecond: connectsPerSecond + disconnectsPerSecond + instances.length / HEARTBEAT_SECONDS,
  };
}

async function startInstances(bench: Bench, mode: Mode, redisPrefix: string): Promise<ServerProcess[]> {
  const count = mode === 'cluster' ? 2 : 1;
  return Promise.all(
    Array.from({ length: count }, async (_, i) => {
      const port = await freePort();
      const cluster: Record<string, string> = mode === 'cluster' ? { REDIS_URL, REDIS_KEY_PREFIX: redisPrefix, INSTANCE_ID: `bench-${'ab'[i]}` } : {};
      const env = studyclockEnv(bench.tokens, bench.db.url(bench.counter.port), port, { METRICS_TOKEN, DATABASE_POOL_MAX: String(bench.options.poolMax), ...cluster });
      return startServerProcess({ name: `studyclock ${mode} ${i}`, args: STUDYCLOCK_ARGS, cwd: REPO, env, port, readyTimeoutMs: 60_000 });
    }),
  );
}

/** One mode at one size: instances up, subscribers on, the windows, everything down. */
async function measure(bench: Bench, mode: Mode, n: number, full: boolean): Promise<Run> {
  const tag = `[${mode} N=${n}]`;
  const count = mode === 'cluster' ? 2 : 1;
  const run: Run = { mode, instances: count, subscribers: n };
  await resetStudents(bench.db.url(), [...bench.ticking, ...bench.changing, ...bench.churning]);
  const servers = await startInstances(bench, mode, `studyclock-bench-${randomBytes(4).toString('hex')}:`);
  const instances: Instance[] = [];
  const serverCaps: CpuCap[] = [];
  // Only the first size measures changes and churn: the others measure ticking alone.
  const changes = full ? new ChangeProcess() : undefined;
  try {
    log(`${tag} ${servers.length} instance(s) up: pids ${servers.map((s) => s.pid).join(', ')}`);
    if (bench.options.cpuCap !== undefined) {
      for (const server of servers) {
        const cap = CpuCap.create(`studyclock-bench-${server.pid}`, bench.options.cpuCap);
        caps.add(cap);
        serverCaps.push(cap);
        cap.add(server.pid);
      }
      log(`${tag} each instance capped at ${bench.options.cpuCap} of a core`);
    }
    const share = Math.ceil(n / count);
    for (const [i, server] of servers.entries()) {
      const block = nextBlock(bench);
      const load = await LoadClient.start({
        cwd: REPO,
        url: server.url,
        protocol: 'graphql-transport-ws',
        subscribers: bench.ticking.slice(i * share, Math.min(n, (i + 1) * share)),
        perWorker: bench.options.perWorker,
        concurrency: Math.ceil(bench.options.concurrency / count),
        connectTimeoutMs: 30_000,
        tokens: bench.tokens,
        localAddress: (worker) => `127.1.${block}.${worker + 1}`,
      });
      instances.push({ server, load, cap: serverCaps[i] });
    }
    const rampStart = Date.now();
    const ramps = await Promise.all(instances.map(({ load }) => load.ramp(120_000 + n * 20)));
    run.ramp = { connected: ramps.reduce((a, r) => a + r.connected, 0), failed: ramps.reduce((a, r) => a + r.failed, 0), seconds: (Date.now() - rampStart) / 1000 };
    log(`${tag} ${run.ramp.connected} subscribed in ${run.ramp.seconds.toFixed(1)} s${run.ramp.failed ? `, ${run.ramp.failed} failed: ${JSON.stringify(ramps.map((r) => r.failures))}` : ''}`);
    if (changes) {
      // The change subscribers watch the last instance; the changes go to the first (in cluster
      // mode, every change crosses instances).
      await changes.ready;
      await changes.ask(
        { type: 'start', wsUrl: instances.at(-1)!.server.url, httpUrl: `http://127.0.0.1:${instances[0]!.server.port}/graphql`, watched: bench.changing, tokens: bench.tokens, localAddress: `127.1.${nextBlock(bench)}.1` },
        'watching',
        120_000,
      );
      // Out of the tick window: a change student's ticks would count in its instance's CPU but not in its received ticks.
      await changes.ask({ type: 'pause-all' }, 'paused', 120_000);
    }
    await sleep(bench.options.settleSeconds * 1000);

    const stopProfiles = bench.options.profile ? await Promise.all(instances.map(({ server }) => startCpuProfile(server.inspectorUrl))) : [];
    run.ticks = await measureTicks(bench, instances);
    for (const [i, stop] of stopProfiles.entries()) bench.profiles.push({ name: `${mode}-${n}-${'ab'[i]}`, profile: await stop() });
    const t = run.ticks;
    run.held = t.missedPercent <= 0.1 && t.latencyMs.p99 <= bench.options.capacityP99Ms;
    for (const [i, l] of t.loops.entries()) log(`${tag} instance ${'ab'[i]}: ${loopLine(l)}${t.throttling ? `, ${throttleLine(t.throttling[i]!)}` : ''}`);
    log(`${tag} ticks: missed ${t.missedPercent.toFixed(3)} %, p50/p99 ${t.latencyMs.p50.toFixed(1)}/${t.latencyMs.p99.toFixed(1)} ms, CPU µs/sub-tick ${t.cpuPerSubscriberTickMicros.map((v) => v.toFixed(1)).join(' ')} (kernel ${t.kernelSharePercent.map((v) => `${v.toFixed(0)} %`).join(' ')}), machine ${machineLine(t.machine)}${run.held ? '' : ' (not held)'}`);
    if (changes) {
      run.changes = [];
      for (const rate of [bench.options.changeRate, bench.options.redisRate]) {
        const c = await measureChanges(bench, instances, changes, rate, mode);
        run.changes.push(c);
        log(`${tag} ${rate} changes/s asked, ${c.perSecond.toFixed(0)} sent: lost ${c.lost}, errors ${JSON.stringify(c.errors)}, sent→frame p50/p99 ${c.sentToFrameMs.p50.toFixed(1)}/${c.sentToFrameMs.p99.toFixed(1)} ms, Redis CPU ${c.redisCpuPercent.toFixed(1)} %`);
      }
      run.churn = await measureChurn(bench, instances, changes);
      log(`${tag} churn: ${run.churn.connectsPerSecond.toFixed(1)} connects/s, write transactions ${run.churn.presenceWrites.transactionsPerSecond.toFixed(1)}/s (goal ≤ ${run.churn.goalPerSecond.toFixed(1)})`);
    }
    return run;
  } finally {
    await changes?.close();
    for (const { load } of instances) await load.close();
    await Promise.all(servers.map((s) => s.stop()));
    for (const cap of serverCaps) {
      cap.remove();
      caps.delete(cap);
    }
  }
}

const f = (v: number | undefined, digits = 1) => (v === undefined || !Number.isFinite(v) ? '–' : v.toFixed(digits));

function loopLine(l: LoopReading): string {
  const gc = Object.entries(l.gc)
    .filter(([, g]) => g.count > 0)
    .map(([kind, g]) => `${kind} ${g.count}× ${f(g.ms, 0)} ms`)
    .join(', ');
  return `loop delay p99/max ${f(l.lagP99Ms)}/${f(l.lagMaxMs)} ms, GC ${gc || 'none'}`;
}

function throttleLine(t: Throttling): string {
  return `held back by its CPU cap in ${f((t.throttledPeriods / t.periods) * 100, 0)} % of its 10 ms periods (${f(t.throttledMs, 0)} ms)`;
}

function machineLine(m: TickWindow['machine']): string {
  return `${f(m.busyPercent, 0)} % of ${m.cores * 100} % busy (instances ${f(m.instancesPercent, 0)}, load clients ${f(m.loadClientsPercent, 0)}, Redis ${f(m.redisPercent, 0)}, the rest ${f(m.restPercent, 0)})`;
}

function formatReport(runs: Run[], options: Options): string {
  const lines: string[] = [];
  lines.push(`ticking alone (window ${options.windowSeconds} s; held = missed ≤ 0.1 % and p99 ≤ ${options.capacityP99Ms} ms${options.cpuCap === undefined ? '' : `; every instance capped at ${options.cpuCap} of a core`})`);
  lines.push('mode     inst  subscribers  missed %  p50 ms  p99 ms  jitter p99  CPU µs/sub-tick per instance  CPU % per instance  held');
  for (const r of runs) {
    if (!r.ticks) {
      lines.push(`${r.mode.padEnd(8)} ${String(r.instances).padStart(4)}  ${String(r.subscribers).padStart(11)}  failed: ${r.error ?? 'no window'}`);
      continue;
    }
    const t = r.ticks;
    lines.push(
      `${r.mode.padEnd(8)} ${String(r.instances).padStart(4)}  ${String(t.subscribers).padStart(11)}  ${f(t.missedPercent, 3).padStart(8)}  ${f(t.latencyMs.p50).padStart(6)}  ${f(t.latencyMs.p99).padStart(6)}  ${f(t.jitterMs.p99).padStart(10)}  ${t.cpuPerSubscriberTickMicros.map((v) => f(v)).join(' / ').padStart(28)}  ${t.cpuUtilisationPercent.map((v) => f(v, 0)).join(' / ').padStart(18)}  ${r.held ? 'yes' : 'no'}`,
    );
  }
  lines.push('', 'where the machine\'s CPU went in each tick window (% of one core; the rest: PostgreSQL, this script, the system)');
  for (const r of runs) if (r.ticks) lines.push(`  ${r.mode.padEnd(8)} ${String(r.ticks.subscribers).padStart(6)}: ${machineLine(r.ticks.machine)}`);
  lines.push('', 'each instance\'s event loop and garbage collector in each tick window');
  for (const r of runs) {
    for (const [i, l] of (r.ticks?.loops ?? []).entries()) {
      const throttling = r.ticks!.throttling?.[i];
      lines.push(`  ${r.mode.padEnd(8)} ${String(r.ticks!.subscribers).padStart(6)} ${'ab'[i]}: ${loopLine(l)}${throttling ? `, ${throttleLine(throttling)}` : ''}`);
    }
  }
  const bySize = new Map<number, Partial<Record<Mode, Run>>>();
  for (const r of runs) (bySize.get(r.subscribers) ?? bySize.set(r.subscribers, {}).get(r.subscribers)!)[r.mode] = r;
  lines.push('', 'cluster ÷ single, CPU per subscriber-tick (mean of the instances): goal ≤ 1.05');
  for (const [n, m] of bySize) {
    const mean = (r?: Run) => (r?.ticks ? r.ticks.cpuPerSubscriberTickMicros.reduce((a, b) => a + b, 0) / r.ticks.cpuPerSubscriberTickMicros.length : NaN);
    if (m.single?.ticks && m.cluster?.ticks) lines.push(`  N=${n}: ${f(mean(m.cluster) / mean(m.single), 2)}`);
  }
  const capacity = (mode: Mode) => {
    let held = 0;
    for (const r of runs.filter((x) => x.mode === mode)) if (r.held) held = Math.max(held, r.subscribers);
    return held;
  };
  const [one, two] = [capacity('single'), capacity('cluster')];
  lines.push('', `capacity (largest size held): single ${one}, cluster of two ${two}; ratio ${one > 0 ? f(two / one, 2) : '–'} (goal ≥ 1.7)`);
  for (const r of runs.filter((x) => x.changes)) {
    lines.push('', `${r.mode} with ${r.subscribers} ticking: changes (${r.mode === 'cluster' ? 'HTTP on instance A, subscribers on B' : 'HTTP and subscribers on the one instance'})`);
    lines.push('  asked/s  sent/s  lost  dup  errors  sent→frame p50/p99  answered→frame p50/p99  sent→answer p50/p99  server lag p50/p99 ≤  Redis CPU %  of it stream %  stream cmds/change');
    for (const c of r.changes!) {
      const errors = Object.values(c.errors).reduce((a, b) => a + b, 0);
      const lag = c.serverLag ? `${f(c.serverLag.p50AtMostMs, 0)}/${f(c.serverLag.p99AtMostMs, 0)}` : '–';
      lines.push(
        `  ${String(c.rate).padStart(7)}  ${f(c.perSecond, 0).padStart(6)}  ${String(c.lost).padStart(4)}  ${String(c.duplicates).padStart(3)}  ${String(errors).padStart(6)}  ${`${f(c.sentToFrameMs.p50)}/${f(c.sentToFrameMs.p99)}`.padStart(18)}  ${`${f(c.answeredToFrameMs.p50)}/${f(c.answeredToFrameMs.p99)}`.padStart(22)}  ${`${f(c.sentToAnswerMs.p50)}/${f(c.sentToAnswerMs.p99)}`.padStart(19)}  ${lag.padStart(20)}  ${f(c.redisCpuPercent).padStart(11)}  ${f(c.redisStreamCpuPercent, 2).padStart(14)}  ${f(c.streamCommandsPerChange, 2).padStart(17)}`,
      );
    }
    const last = r.changes!.at(-1)!;
    if (r.mode === 'cluster') {
      const projected = (last.redisStreamCpuPercent / last.perSecond) * options.redisRate;
      lines.push(`  Redis for the stream at ${options.redisRate} changes/s: ${f(projected, 2)} % of a core (its share measured at ${f(last.perSecond, 0)} changes/s, scaled; goal < 5 %)`);
    }
    const ch = r.churn!;
    const statements = (w: ChurnWindow['presenceWrites']) => JSON.stringify(Object.fromEntries(Object.entries(w.byStatement).map(([k, v]) => [k, Number(v.toFixed(2))])));
    lines.push(`  presence: ${f(ch.connectsPerSecond)} connects/s, ${f(ch.disconnectsPerSecond)} disconnects/s → ${f(ch.presenceWrites.transactionsPerSecond)} PostgreSQL write transactions/s (goal ≤ ${f(ch.goalPerSecond)}); write statements/s ${f(ch.presenceWrites.statementsPerSecond)}: ${statements(ch.presenceWrites)}`);
    if (r.ticks) lines.push(`  while only ticking: ${f(r.ticks.presenceWrites.transactionsPerSecond, 2)} write transactions/s (heartbeats: ${f(r.instances / HEARTBEAT_SECONDS, 2)}/s); statements ${statements(r.ticks.presenceWrites)}`);
  }
  return lines.join('\n');
}

async function main(): Promise<void> {
  if (process.argv.includes('--help')) return void process.stdout.write(USAGE);
  const options = parseOptions(process.argv.slice(2));
  const startedAt = new Date();
  const originMs = Math.floor(Date.now() / 1000) * 1000 - 600_000;
  log('compiling studyclock to JavaScript');
  buildStudyclock(REPO);
  const db = await createBenchDatabase();
  const counter = await QueryCounter.start(POSTGRES.port);
  const redis = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
  await redis.connect();
  const bench: Bench = {
    options,
    tokens: { secret: randomBytes(48).toString('base64url'), issuer: 'studyclock', audience: 'studyclock-api', ttlSeconds: 3_600 },
    db,
    counter,
    redis,
    ticking: makeStudents(Math.max(...options.sizes), originMs),
    changing: makeStudents(options.changeStudents, originMs),
    churning: makeStudents(options.churnRate * 2, originMs),
    addressBlocks: 0,
    profiles: [],
  };
  const cleanup = async () => {
    killAllChildren();
    // The cgroups empty once their processes are gone.
    await sleep(500);
    for (const cap of caps) cap.remove();
    redis.disconnect();
    await counter.close().catch(() => {});
    await db.drop().catch((err: unknown) => log(`could not drop ${db.name}: ${String(err)}`));
  };
  cleanUpOnStop(cleanup);
  try {
    // The first start migrates the schema; then the students go straight into PostgreSQL.
    const migrate = await startInstances(bench, 'single', 'unused:');
    await migrate[0]!.stop();
    await seedStudents(db.url(), [...bench.ticking, ...bench.changing, ...bench.churning]);
    log(`database ${db.name}: ${bench.ticking.length + bench.changing.length + bench.churning.length} students seeded`);
    const runs: Run[] = [];
    const stopped = new Set<Mode>();
    for (const [i, n] of options.sizes.entries()) {
      for (const mode of options.modes) {
        if (stopped.has(mode)) continue;
        // A capped run measures ticking alone: a budget made for the tick path would also cap the
        // change path, whose delivery, Redis and presence figures come from an uncapped run.
        const full = i === 0 && options.cpuCap === undefined;
        const perInstance = Math.ceil(n / (mode === 'cluster' ? 2 : 1)) + (full ? options.changeStudents : 0);
        if (perInstance > MAX_SOCKETS_PER_INSTANCE) {
          stopped.add(mode);
          log(`[${mode} N=${n}] skipped: ${perInstance} sockets on one instance is over its ${MAX_SOCKETS_PER_INSTANCE}`);
          continue;
        }
        const run = await measure(bench, mode, n, full).catch((err: unknown): Run => {
          log(`[${mode} N=${n}] failed: ${err instanceof Error ? err.message : String(err)}`);
          return { mode, instances: mode === 'cluster' ? 2 : 1, subscribers: n, error: err instanceof Error ? err.message : String(err) };
        });
        runs.push(run);
        if (!run.held) stopped.add(mode);
      }
    }
    const report = formatReport(runs, options);
    const outDir = join(REPO, options.outDir);
    mkdirSync(outDir, { recursive: true });
    const file = join(outDir, `scale-out-${startedAt.toISOString().replace(/[:.]/g, '-')}.json`);
    const machine = { cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model ?? 'unknown', node: process.version };
    writeFileSync(file, `${JSON.stringify({ startedAt, wallSeconds: (Date.now() - startedAt.getTime()) / 1000, options, machine, runs }, null, 2)}\n`);
    process.stdout.write(`\n${report}\n\nresults in ${file}\n`);
    for (const { name, profile } of bench.profiles) {
      const profileFile = file.replace(/\.json$/, `-${name}.cpuprofile`);
      writeFileSync(profileFile, JSON.stringify(profile));
      process.stdout.write(`\n${name}: functions by own CPU in the tick window (${profileFile})\n${topSelfTime(profile).join('\n')}\n`);
    }
  } finally {
    await cleanup();
  }
}

runMain(main);
