/**
 * The live-timer benchmark: for each size N, the floor (bare `ws`), stock graphql-ws and
 * studyclock, each a fresh child process on 127.0.0.1 with N authenticated subscribers from
 * load-client processes, measured the same way in the same run; prints a table per N with the
 * ratios to the floor and to graphql-ws, and writes everything to artifacts/bench/. See
 * bench/README.md for what is measured and how.
 *
 *   npm run bench:realtime -- --sizes=1000,5000 --window=15 --servers=floor,graphql-ws,studyclock
 */
import { randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cleanUpOnStop, killAllChildren, log, runMain, sleep } from './lib/children.js';
import { type BenchDatabase, createBenchDatabase, makeStudents, POSTGRES, resetStudents, seedStudents } from './lib/database.js';
import { censusGrowth, type CpuProfile, heapCensus, startCpuProfile, topSelfTime } from './lib/inspector.js';
import { LoadClient } from './lib/load-client.js';
import { type BenchOptions, parseOptions, type ServerName, USAGE } from './lib/options.js';
import { cpuSeconds, openFilesLimit, threadCpuSeconds } from './lib/proc.js';
import type { Subscriber, TokenSettings } from './lib/protocol.js';
import { countsBetween, QueryCounter } from './lib/query-counter.js';
import { formatTable, LEGEND, percentiles, ratiosFor, type RunResult } from './lib/report.js';
import { freePort, readMemory, type ServerProcess, startServerProcess } from './lib/server-process.js';
import { buildStudyclock, STUDYCLOCK_ARGS, studyclockEnv } from './lib/studyclock.js';

const REPO = fileURLToPath(new URL('..', import.meta.url));
const WARMUP_SUBSCRIBERS = 100;
/** Ticks arriving this long after the window's end still count (later ones are missed). */
const LATE_GRACE_MS = 3_000;
/** A subscription without its first frame after this long has failed. */
const CONNECT_TIMEOUT_MS = 30_000;

/** Everything one benchmark run shares between its servers. */
interface Bench {
  options: BenchOptions;
  tokens: TokenSettings;
  /** Instant the baselines' shared ticker counts from (a whole second, ten minutes ago). */
  tickOriginMs: number;
  /** One student per subscriber of the largest size; smaller sizes take the first N. */
  students: Subscriber[];
  database?: { db: BenchDatabase; counter: QueryCounter; seeded: boolean };
  /** Source-address blocks handed out so far (each load client gets a fresh 127.1.<block>.x). */
  addressBlocks: number;
}

/** The environment of each server: studyclock's own variables (src/config.ts) or the baselines'. */
function serverEnv(bench: Bench, server: ServerName, port: number): Record<string, string> {
  if (server === 'studyclock') return studyclockEnv(bench.tokens, bench.database!.db.url(bench.database!.counter.port), port);
  const { secret, issuer, audience } = bench.tokens;
  return { PATH: process.env.PATH ?? '/usr/bin:/bin', JWT_SECRET: secret, JWT_ISSUER: issuer, JWT_AUDIENCE: audience, PORT: String(port), TICK_ORIGIN_MS: String(bench.tickOriginMs) };
}

/** Where the baselines' compiled JavaScript goes (see {@link compileServers}). */
const BASELINES_JS = 'artifacts/bench/js';

/**
 * Compiles studyclock (see {@link buildStudyclock}) and the baselines to JavaScript, so that
 * every server runs as plain Node as in production.
 */
function compileServers(servers: readonly ServerName[]): void {
  if (servers.includes('studyclock')) buildStudyclock(REPO);
  if (servers.some((s) => s !== 'studyclock')) {
    execFileSync(process.execPath, [join(REPO, 'node_modules/typescript/bin/tsc'), '-p', 'bench', '--noEmit', 'false', '--outDir', BASELINES_JS], { cwd: REPO, stdio: 'inherit' });
  }
}

async function startServer(bench: Bench, server: ServerName): Promise<ServerProcess> {
  const port = await freePort();
  const args = server === 'studyclock' ? STUDYCLOCK_ARGS : [`${BASELINES_JS}/servers/${server === 'floor' ? 'floor' : 'graphql-ws'}.js`];
  return startServerProcess({ name: server, args, cwd: REPO, env: serverEnv(bench, server, port), port, readyTimeoutMs: 60_000 });
}

function loadClient(bench: Bench, server: ServerProcess, name: ServerName, subscribers: Subscriber[]): Promise<LoadClient> {
  const block = ++bench.addressBlocks;
  if (block > 255) throw new Error('out of source-address blocks (127.1.0.0/16)');
  return LoadClient.start({
    cwd: REPO,
    url: server.url,
    protocol: name === 'floor' ? 'floor' : 'graphql-transport-ws',
    // The baselines tick on one shared second; only studyclock's sessions have their own phases.
    subscribers: name === 'studyclock' ? subscribers : subscribers.map((s) => ({ ...s, originMs: bench.tickOriginMs })),
    perWorker: bench.options.perWorker,
    concurrency: bench.options.concurrency,
    connectTimeoutMs: CONNECT_TIMEOUT_MS,
    tokens: bench.tokens,
    localAddress: (worker) => `127.1.${block}.${worker + 1}`,
  });
}

/** One server at one size: start, warm up, idle reading, ramp, steady window, loaded reading, stop. */
async function measure(bench: Bench, name: ServerName, n: number, profiles: { name: string; profile: CpuProfile }[]): Promise<RunResult> {
  const tag = `[${name} N=${n}]`;
  const { options } = bench;
  const students = bench.students.slice(0, n);
  if (name === 'studyclock' && bench.database?.seeded) await resetStudents(bench.database.db.url(), bench.students);
  const server = await startServer(bench, name);
  let load: LoadClient | undefined;
  try {
    log(`${tag} started, pid ${server.pid}, open-files limit ${openFilesLimit(server.pid)}`);
    if (name === 'studyclock' && !bench.database!.seeded) {
      // studyclock has migrated its schema by now; the students go straight into PostgreSQL.
      await seedStudents(bench.database!.db.url(), bench.students);
      bench.database!.seeded = true;
      log(`${tag} seeded ${bench.students.length} students`);
    }

    // Warm-up: the first connections compile the hot paths and allocate what a server keeps
    // once allocated; the idle reading comes after, so it holds none of that per connection.
    const warmup = await loadClient(bench, server, name, students.slice(0, Math.min(WARMUP_SUBSCRIBERS, n)));
    try {
      await warmup.ramp(60_000);
      await sleep(options.warmupSeconds * 1000);
    } finally {
      await warmup.close();
    }
    await sleep(1_000);
    const idle = await readMemory(server);
    const census = options.heapCensus.includes(name) ? await heapCensus(server.inspectorUrl) : undefined;

    load = await loadClient(bench, server, name, students);
    const stopRampProfile = options.profile.includes(name) ? await startCpuProfile(server.inspectorUrl) : undefined;
    let lastLog = 0;
    const ramp = await load.ramp(120_000 + n * 20, (connected, failed) => {
      if (Date.now() - lastLog < 5_000) return;
      lastLog = Date.now();
      log(`${tag} ramp ${connected}/${n}${failed ? `, ${failed} failed` : ''}`);
    });
    if (stopRampProfile) profiles.push({ name: `${name}-${n}-ramp`, profile: await stopRampProfile() });
    log(`${tag} ${ramp.connected} subscribed in ${ramp.seconds.toFixed(1)} s over ${load.workers} load processes${ramp.failed ? `, ${ramp.failed} failed: ${JSON.stringify(ramp.failures)}` : ''}`);
    if (ramp.connected === 0) throw new Error(`no subscription succeeded: ${JSON.stringify(ramp.failures)}`);

    await sleep(options.settleSeconds * 1000);
    const fromMs = Date.now() + 500;
    const toMs = fromMs + options.windowSeconds * 1000;
    load.measure(fromMs, toMs);
    const until = (t: number) => sleep(Math.max(0, t - Date.now()));
    const snapshot = async () => ({
      cpu: cpuSeconds(server.pid),
      threads: threadCpuSeconds(server.pid),
      loadAverage: os.loadavg()[0]!,
      statements: bench.database?.counter.snapshot(),
      transactions: name === 'studyclock' ? await bench.database!.db.transactions() : NaN,
    });
    await until(fromMs - 200);
    const stopProfile = options.profile.includes(name) ? await startCpuProfile(server.inspectorUrl) : undefined;
    await until(fromMs);
    const start = await snapshot();
    await until(toMs);
    const end = await snapshot();
    if (stopProfile) profiles.push({ name: `${name}-${n}-window`, profile: await stopProfile() });
    await sleep(LATE_GRACE_MS);
    const window = await load.report(60_000);
    const loaded = await readMemory(server);
    if (census) {
      const growth = censusGrowth(census, await heapCensus(server.inspectorUrl), window.subscribers);
      log(`${tag} heap growth per connection by kind (shallow bytes, objects):\n${growth.join('\n')}`);
    }
    log(`${tag} window done: ${window.received}/${window.expected} ticks, load average ${start.loadAverage.toFixed(1)}–${end.loadAverage.toFixed(1)}`);

    const cpu = end.cpu - start.cpu;
    const result: RunResult = {
      server: name,
      subscribers: n,
      workers: load.workers,
      loadAverage: { start: start.loadAverage, end: end.loadAverage },
      ramp: { ...ramp, perSecond: ramp.connected / ramp.seconds },
      window: {
        seconds: options.windowSeconds,
        subscribers: window.subscribers,
        expectedTicks: window.expected,
        receivedTicks: window.received,
        missedPercent: window.expected === 0 ? NaN : ((window.expected - window.received) / window.expected) * 100,
        latencyMs: percentiles(window.latenciesMs),
        jitterMs: percentiles(window.jittersMs),
        closedAfterConnect: window.closedAfterConnect,
      },
      cpu: {
        seconds: cpu,
        utilisationPercent: (cpu / options.windowSeconds) * 100,
        perSubscriberTickMicros: (cpu * 1e6) / window.received,
        byThread: Object.fromEntries(
          Object.entries(end.threads)
            .map(([thread, t]) => [thread, { user: t.user - (start.threads[thread]?.user ?? 0), system: t.system - (start.threads[thread]?.system ?? 0) }] as const)
            .filter(([, t]) => t.user + t.system > 0),
        ),
      },
      memory: {
        idle,
        loaded,
        heapPerConnectionBytes: (loaded.heapUsedBytes - idle.heapUsedBytes) / window.subscribers,
        rssPerConnectionBytes: (loaded.rssBytes - idle.rssBytes) / window.subscribers,
      },
    };
    if (name === 'studyclock') {
      const byStatement = Object.fromEntries([...countsBetween(start.statements!, end.statements!)].sort((a, b) => b[1] - a[1]));
      const statements = Object.values(byStatement).reduce((a, b) => a + b, 0);
      result.queries = { statements, perTick: statements / window.received, byStatement, pgStatTransactions: end.transactions - start.transactions };
    }
    return result;
  } finally {
    await load?.close();
    await server.stop();
  }
}

function machine() {
  const cpus = os.cpus();
  return {
    cpus: cpus.length,
    cpuModel: cpus[0]?.model ?? 'unknown',
    memoryBytes: os.totalmem(),
    node: process.version,
    openFilesLimit: openFilesLimit(process.pid),
    ephemeralPorts: readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().replace(/\s+/, '-'),
  };
}

async function main(): Promise<void> {
  if (process.argv.includes('--help')) return void process.stdout.write(USAGE);
  const options = parseOptions(process.argv.slice(2));
  const startedAt = new Date();
  const tickOriginMs = Math.floor(Date.now() / 1000) * 1000 - 600_000;
  const bench: Bench = {
    options,
    tokens: { secret: randomBytes(48).toString('base64url'), issuer: 'studyclock', audience: 'studyclock-api', ttlSeconds: 3_600 },
    tickOriginMs,
    students: makeStudents(Math.max(...options.sizes), tickOriginMs, options.phase),
    addressBlocks: 0,
  };
  const cleanup = async () => {
    killAllChildren();
    await bench.database?.counter.close().catch(() => {});
    await bench.database?.db.drop().catch((err: unknown) => log(`could not drop ${bench.database?.db.name}: ${String(err)}`));
  };
  cleanUpOnStop(cleanup);

  try {
    log('compiling the servers to JavaScript');
    compileServers(options.servers);
    if (options.servers.includes('studyclock')) {
      const db = await createBenchDatabase();
      bench.database = { db, counter: await QueryCounter.start(POSTGRES.port), seeded: false };
      log(`database ${db.name}, statements counted through 127.0.0.1:${bench.database.counter.port}`);
    }
    const bySize: { subscribers: number; runs: RunResult[]; ratios: ReturnType<typeof ratiosFor> }[] = [];
    const tables: string[] = [];
    const profiles: { name: string; profile: CpuProfile }[] = [];
    for (const n of options.sizes) {
      const runs: RunResult[] = [];
      for (const server of options.servers) {
        const run = await measure(bench, server, n, profiles).catch((err: unknown): RunResult => {
          log(`[${server} N=${n}] failed: ${err instanceof Error ? err.message : String(err)}`);
          return { server, subscribers: n, error: err instanceof Error ? err.message : String(err) };
        });
        runs.push(run);
      }
      bySize.push({ subscribers: n, runs, ratios: ratiosFor(runs) });
      const table = formatTable(n, runs, `(window ${options.windowSeconds} s, studyclock phases ${options.phase})`);
      tables.push(table);
      process.stdout.write(`\n${table}\n\n`);
    }
    const wallSeconds = (Date.now() - startedAt.getTime()) / 1000;
    const outDir = join(REPO, options.outDir);
    mkdirSync(outDir, { recursive: true });
    const file = join(outDir, `realtime-${startedAt.toISOString().replace(/[:.]/g, '-')}.json`);
    writeFileSync(file, `${JSON.stringify({ startedAt, wallSeconds, options, machine: machine(), sizes: bySize }, null, 2)}\n`);
    for (const { name, profile } of profiles) {
      const profileFile = file.replace(/\.json$/, `-${name}.cpuprofile`);
      writeFileSync(profileFile, JSON.stringify(profile));
      process.stdout.write(`\n${name}: functions by own CPU in the window (${profileFile})\n${topSelfTime(profile).join('\n')}\n`);
    }
    process.stdout.write(`${tables.length > 1 ? `${tables.join('\n\n')}\n\n` : ''}${LEGEND}\n\nwall time ${wallSeconds.toFixed(0)} s; results in ${file}\n`);
  } finally {
    await cleanup();
  }
}

runMain(main);
