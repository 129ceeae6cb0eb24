/**
 * The connection-cycle benchmark: does studyclock give back what a connection held? One
 * studyclock process (compiled, on PostgreSQL), warmed up, then `--cycles` times: connect,
 * authenticate, subscribe to a running session, first frame, close. The memory after a full
 * garbage collection is read after the warm-up and after the cycles; the goal (issue 11) is an
 * RSS back to its baseline ±5 %. See bench/README.md ("The connection-cycle benchmark").
 *
 *   npm run bench:cycles -- --cycles=100000
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cleanUpOnStop, killAllChildren, log, runMain, sleep } from './lib/children.js';
import { createBenchDatabase, makeStudents, seedStudents } from './lib/database.js';
import { LoadClient } from './lib/load-client.js';
import { positiveInt } from './lib/options.js';
import { peakRssBytes } from './lib/proc.js';
import type { MemoryReading } from './lib/report.js';
import { freePort, readMemory, startServerProcess } from './lib/server-process.js';
import { buildStudyclock, STUDYCLOCK_ARGS, studyclockEnv } from './lib/studyclock.js';

const REPO = fileURLToPath(new URL('..', import.meta.url));
/** How far RSS may end from its baseline (issue 11). */
const RSS_GOAL_PERCENT = 5;

interface Options {
  cycles: number;
  warmupCycles: number;
  students: number;
  concurrency: number;
  perWorker: number;
  outDir: string;
}

const USAGE = `npm run bench:cycles -- [flags]

  --cycles=100000        connect–subscribe–first frame–close cycles measured
  --warmup-cycles=10000  cycles before the baseline reading (every student at least once)
  --students=2000        students the cycles go round (each has a running session)
  --concurrency=100      cycles in flight at once, over all load processes (at most --students)
  --per-worker=1000      most students per load-client process
  --out=artifacts/bench  where the JSON result goes
`;

function parseOptions(argv: readonly string[]): Options {
  const options: Options = { cycles: 100_000, warmupCycles: 10_000, students: 2_000, concurrency: 100, perWorker: 1_000, outDir: 'artifacts/bench' };
  const problems: string[] = [];
  for (const arg of argv) {
    const [, name, value] = /^--([a-z-]+)=(.*)$/.exec(arg) ?? [];
    if (name === undefined || value === undefined) {
      problems.push(`unknown argument "${arg}"`);
      continue;
    }
    try {
      switch (name) {
        case 'cycles': options.cycles = positiveInt(name, value); break;
        case 'warmup-cycles': options.warmupCycles = positiveInt(name, value); break;
        case 'students': options.students = positiveInt(name, value); break;
        case 'concurrency': options.concurrency = positiveInt(name, value); break;
        case 'per-worker': options.perWorker = positiveInt(name, value); break;
        case 'out': options.outDir = value; break;
        default: problems.push(`unknown flag --${name}`);
      }
    } catch (err) {
      problems.push((err as Error).message);
    }
  }
  // Two cycles of one student at once would meet the per-student socket cap, not the server's memory.
  if (options.concurrency > options.students) problems.push('--concurrency must not exceed --students');
  if (problems.length > 0) throw new Error(`${problems.join('\n')}\n\n${USAGE}`);
  return options;
}

const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MiB`;

async function main(): Promise<void> {
  if (process.argv.includes('--help')) return void process.stdout.write(USAGE);
  const options = parseOptions(process.argv.slice(2));
  const startedAt = new Date();
  log('compiling studyclock to JavaScript');
  buildStudyclock(REPO);
  const db = await createBenchDatabase();
  const cleanup = async () => {
    killAllChildren();
    await db.drop().catch((err: unknown) => log(`could not drop ${db.name}: ${String(err)}`));
  };
  cleanUpOnStop(cleanup);
  try {
    const tokens = { secret: randomBytes(48).toString('base64url'), issuer: 'studyclock', audience: 'studyclock-api', ttlSeconds: 3_600 };
    const students = makeStudents(options.students, Math.floor(Date.now() / 1000) * 1000 - 600_000);
    const port = await freePort();
    const server = await startServerProcess({ name: 'studyclock', args: STUDYCLOCK_ARGS, cwd: REPO, env: studyclockEnv(tokens, db.url(), port), port, readyTimeoutMs: 60_000 });
    // studyclock has migrated its schema by now; the students go straight into PostgreSQL.
    await seedStudents(db.url(), students);
    const load = await LoadClient.start({
      cwd: REPO,
      url: server.url,
      protocol: 'graphql-transport-ws',
      subscribers: students,
      perWorker: options.perWorker,
      concurrency: options.concurrency,
      connectTimeoutMs: 30_000,
      tokens,
      localAddress: (worker) => `127.1.1.${worker + 1}`,
    });
    try {
      const runCycles = async (cycles: number, what: string) => {
        const r = await load.cycle(cycles, 600_000 + cycles * 20);
        log(`${what}: ${r.completed} cycles in ${r.seconds.toFixed(1)} s (${(r.completed / r.seconds).toFixed(0)}/s)${r.failed ? `, ${r.failed} failed: ${JSON.stringify(r.failures)}` : ''}`);
        return r;
      };
      const settle = () => sleep(2_000); // the last closes reach the server and its clean-up runs
      const started = await readMemory(server);
      await runCycles(options.warmupCycles, 'warm-up');
      await settle();
      const baseline = await readMemory(server);
      const measured = await runCycles(options.cycles, 'measured');
      await settle();
      const after = await readMemory(server);
      const peak = peakRssBytes(server.pid);
      const rssChangePercent = ((after.rssBytes - baseline.rssBytes) / baseline.rssBytes) * 100;
      const heapPerThousandCycles = ((after.heapUsedBytes - baseline.heapUsedBytes) / measured.completed) * 1_000;
      const line = (name: string, m: MemoryReading) =>
        `  ${name.padEnd(22)} RSS ${mib(m.rssBytes).padStart(10)}  heap ${mib(m.heapUsedBytes).padStart(10)}  buffers ${mib(m.backingStoreBytes).padStart(9)}  open files ${m.openFds}`;
      const report = [
        `studyclock, ${options.students} students, ${options.concurrency} cycles in flight (after a full garbage collection each)`,
        line('started', started),
        line(`after ${options.warmupCycles} warm-up`, baseline),
        line(`after ${measured.completed} more`, after),
        `  peak RSS ${mib(peak)}`,
        `RSS after the cycles: ${rssChangePercent >= 0 ? '+' : ''}${rssChangePercent.toFixed(1)} % of the baseline (goal within ±${RSS_GOAL_PERCENT} %: ${Math.abs(rssChangePercent) <= RSS_GOAL_PERCENT ? 'met' : 'not met'}); heap ${heapPerThousandCycles >= 0 ? '+' : ''}${heapPerThousandCycles.toFixed(0)} B per 1,000 cycles`,
        `failed cycles: ${measured.failed}`,
      ].join('\n');
      const outDir = join(REPO, options.outDir);
      mkdirSync(outDir, { recursive: true });
      const file = join(outDir, `cycles-${startedAt.toISOString().replace(/[:.]/g, '-')}.json`);
      const machine = { cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model ?? 'unknown', node: process.version };
      writeFileSync(file, `${JSON.stringify({ startedAt, options, machine, measured, memory: { started, baseline, after, peakRssBytes: peak }, rssChangePercent, heapPerThousandCycles }, null, 2)}\n`);
      process.stdout.write(`\n${report}\n\nresults in ${file}\n`);
      if (measured.failed > 0) process.exitCode = 1;
    } finally {
      await load.close();
      await server.stop();
    }
  } finally {
    await cleanup();
  }
}

runMain(main);
