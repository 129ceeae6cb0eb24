import type { ServerName } from './options.js';
import { statementGist } from './query-counter.js';

/** Memory and descriptors of a server process at one moment. */
export interface MemoryReading {
  heapUsedBytes: number;
  backingStoreBytes: number;
  rssBytes: number;
  openFds: number;
}

/** The database statements studyclock ran in the steady window. */
export interface QueryCount {
  /** Statements through the counting proxy (Query + Execute messages). */
  statements: number;
  /** Statements per subscriber-tick received. */
  perTick: number;
  /** The same statements by SQL text. */
  byStatement: Record<string, number>;
  /** Cross-check: the bench database's committed + rolled-back transactions (pg_stat_database). */
  pgStatTransactions: number;
}

/** Everything measured for one server at one size; `error` instead when the run failed. */
export interface RunResult {
  server: ServerName;
  subscribers: number;
  error?: string;
  workers?: number;
  ramp?: { connected: number; failed: number; failures: Record<string, number>; seconds: number; perSecond: number };
  window?: {
    seconds: number;
    subscribers: number;
    expectedTicks: number;
    receivedTicks: number;
    missedPercent: number;
    latencyMs: Percentiles;
    jitterMs: Percentiles;
    closedAfterConnect: Record<string, number>;
  };
  cpu?: {
    seconds: number;
    utilisationPercent: number;
    perSubscriberTickMicros: number;
    /** The window's CPU seconds by thread name (`main`, V8 and libuv workers), user and system. */
    byThread: Record<string, { user: number; system: number }>;
  };
  memory?: { idle: MemoryReading; loaded: MemoryReading; heapPerConnectionBytes: number; rssPerConnectionBytes: number };
  queries?: QueryCount;
  /**
   * The machine's 1-minute load average at the window's start and end: the servers share two
   * cores with the load client and with whatever else runs; above the core count, figures are noisy.
   */
  loadAverage?: { start: number; end: number };
}

/** Percentiles of a sample. */
export interface Percentiles {
  count: number;
  min: number;
  p50: number;
  p99: number;
  max: number;
}

/** p50, p99 and max of `samples` (sorted in place); NaN for an empty sample. */
export function percentiles(samples: Float64Array): Percentiles {
  samples.sort();
  const at = (q: number) => (samples.length === 0 ? NaN : samples[Math.min(samples.length - 1, Math.floor(q * samples.length))]!);
  return { count: samples.length, min: samples.length === 0 ? NaN : samples[0]!, p50: at(0.5), p99: at(0.99), max: samples.length === 0 ? NaN : samples[samples.length - 1]! };
}

/** One column of the table: how to read it from a run, how to print it, which way is better. */
interface Metric {
  key: string;
  label: string;
  value: (r: RunResult) => number | undefined;
  format: (v: number) => string;
}

const ms = (v: number) => (v < 10 ? v.toFixed(2) : v < 100 ? v.toFixed(1) : v.toFixed(0));
const bytes = (v: number) => (Math.abs(v) >= 1024 ? `${(v / 1024).toFixed(1)} KiB` : `${v.toFixed(0)} B`);

/** The figures the issue asks for, in its order. */
export const METRICS: readonly Metric[] = [
  { key: 'missedPercent', label: 'missed %', value: (r) => r.window?.missedPercent, format: (v) => v.toFixed(3) },
  { key: 'deliveryP50Ms', label: 'delivery p50 ms', value: (r) => r.window?.latencyMs.p50, format: ms },
  { key: 'deliveryP99Ms', label: 'delivery p99 ms', value: (r) => r.window?.latencyMs.p99, format: ms },
  { key: 'jitterP50Ms', label: 'jitter p50 ms', value: (r) => r.window?.jitterMs.p50, format: ms },
  { key: 'jitterP99Ms', label: 'jitter p99 ms', value: (r) => r.window?.jitterMs.p99, format: ms },
  { key: 'cpuPerSubscriberTickMicros', label: 'CPU µs/sub-tick', value: (r) => r.cpu?.perSubscriberTickMicros, format: (v) => v.toFixed(1) },
  { key: 'heapPerConnectionBytes', label: 'heap/conn', value: (r) => r.memory?.heapPerConnectionBytes, format: bytes },
  { key: 'rssPerConnectionBytes', label: 'RSS/conn', value: (r) => r.memory?.rssPerConnectionBytes, format: bytes },
  { key: 'connectsPerSecond', label: 'connects/s', value: (r) => r.ramp?.perSecond, format: (v) => v.toFixed(0) },
];

/** The ratios printed under each table: numerator ÷ denominator, both measured in this run. */
export const RATIOS: readonly [ServerName, ServerName][] = [
  ['studyclock', 'floor'],
  ['studyclock', 'graphql-ws'],
  ['graphql-ws', 'floor'],
];

/** `a / b`, or undefined when either is missing or `b` is 0 (a ratio to nothing says nothing). */
export function ratio(a: number | undefined, b: number | undefined): number | undefined {
  if (a === undefined || b === undefined || !Number.isFinite(a) || !Number.isFinite(b) || b === 0) return undefined;
  return a / b;
}

/** Every ratio of {@link RATIOS} for one size, by metric key, for the JSON file. */
export function ratiosFor(runs: readonly RunResult[]): Record<string, Record<string, number | null>> {
  const out: Record<string, Record<string, number | null>> = {};
  for (const [num, den] of RATIOS) {
    const a = runs.find((r) => r.server === num);
    const b = runs.find((r) => r.server === den);
    if (!a || !b) continue;
    out[`${num}/${den}`] = Object.fromEntries(METRICS.map((m) => [m.key, ratio(m.value(a), m.value(b)) ?? null]));
  }
  return out;
}

/** The table for one size: a row per server, then a row per ratio. */
export function formatTable(subscribers: number, runs: readonly RunResult[], notes: string): string {
  const header = ['', ...METRICS.map((m) => m.label), 'DB stmts/tick'];
  const rows: string[][] = [];
  for (const run of runs) {
    if (run.error) {
      rows.push([run.server, `failed: ${run.error.split('\n')[0]!.slice(0, 100)}`]);
      continue;
    }
    const dbCell = run.queries ? `${run.queries.perTick.toPrecision(2)} (${run.queries.statements})` : '';
    rows.push([run.server, ...METRICS.map((m) => fmt(m.value(run), m.format)), dbCell]);
  }
  for (const [num, den] of RATIOS) {
    const a = runs.find((r) => r.server === num && !r.error);
    const b = runs.find((r) => r.server === den && !r.error);
    if (!a || !b) continue;
    rows.push([`${num} ÷ ${den}`, ...METRICS.map((m) => fmt(ratio(m.value(a), m.value(b)), (v) => `×${v < 10 ? v.toFixed(2) : v.toFixed(1)}`)), '']);
  }
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r.length === 2 && i === 1 ? 0 : (r[i] ?? '').length))));
  const line = (cells: string[]) =>
    cells.length === 2 && header.length > 2
      ? `${cells[0]!.padEnd(widths[0]!)}  ${cells[1]}`
      : cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [`N = ${subscribers.toLocaleString('en-US')}  ${notes}`, line(header), ...rows.map(line), ...footnotes(runs)].join('\n');
}

/** What the table cannot show: failed subscriptions, sockets lost, and which statements ran. */
function footnotes(runs: readonly RunResult[]): string[] {
  const notes: string[] = [];
  for (const run of runs) {
    if (run.ramp && run.ramp.failed > 0) notes.push(`  ${run.server}: ${run.ramp.failed} subscriptions failed: ${JSON.stringify(run.ramp.failures)}`);
    const lost = Object.entries(run.window?.closedAfterConnect ?? {});
    if (lost.length > 0) notes.push(`  ${run.server}: sockets closed after subscribing (code: count): ${JSON.stringify(Object.fromEntries(lost))}`);
    if (run.cpu?.byThread && run.window) {
      const micros = (t: { user: number; system: number }) => (((t.user + t.system) * 1e6) / run.window!.receivedTicks).toFixed(1);
      const threads = Object.entries(run.cpu.byThread)
        .sort((a, b) => b[1].user + b[1].system - (a[1].user + a[1].system))
        .map(([name, t]) => `${name} ${micros(t)} (user ${micros({ user: t.user, system: 0 })})`);
      notes.push(`  ${run.server}: CPU µs/sub-tick by thread: ${threads.join(', ')}`);
    }
    if (run.queries) {
      const gists = new Map<string, number>();
      for (const [sql, n] of Object.entries(run.queries.byStatement)) gists.set(statementGist(sql), (gists.get(statementGist(sql)) ?? 0) + n);
      const list = [...gists].map(([gist, n]) => `${n} × ${gist}`).join(', ') || 'none';
      notes.push(`  ${run.server}: statements in the window: ${list} (pg_stat_database: ${run.queries.pgStatTransactions} transactions)`);
    }
  }
  return notes;
}

function fmt(value: number | undefined, format: (v: number) => string): string {
  return value === undefined || !Number.isFinite(value) ? '—' : format(value);
}

/** Printed once under the tables: what each column is (bench/README.md has the full definitions). */
export const LEGEND = `missed %: ticks scheduled in the window and not received (within 3 s of its end), of those expected.
delivery: arrival − scheduled instant of the tick. jitter: |inter-arrival interval − 1 s|, per subscriber.
CPU µs/sub-tick: server process CPU (user + system, /proc) in the window ÷ ticks received in it.
heap/conn, RSS/conn: (with N connected − idle after warm-up) ÷ N, heap after forced GC.
connects/s: subscriptions (connect, authenticate, subscribe, first frame) per second of the ramp.
DB stmts/tick: statements studyclock sent to PostgreSQL in the window ÷ ticks received (the count in brackets).
ratios: a ÷ b of the same column, both measured in this run; — where b is 0 or missing.`;
