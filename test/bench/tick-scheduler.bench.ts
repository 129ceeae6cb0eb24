/**
 * Benchmark: 10,000 RUNNING sessions ticking for a few seconds, through the one TickScheduler
 * (each session on its own phase) versus the naive baseline of one setInterval per session
 * (all started together, so all firing in the same instant). Prints ticks delivered, the
 * busiest 10 ms window and event-loop delay for both, in the same run.
 *
 *   npm run bench
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { systemClock } from '../../src/clock.js';
import { TickScheduler } from '../../src/sessions/tick-scheduler.js';
import { elapsedSeconds, remainingSeconds, type TimerState } from '../../src/sessions/timer.js';

const SESSIONS = Number(process.env.BENCH_SESSIONS ?? 10_000);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const INTERVAL_MS = 1000;

interface Result {
  ticks: number;
  busiestWindow: number;
  loopP99Ms: number;
  loopMaxMs: number;
  cpuMs: number;
}

/** The per-tick work both variants do: build the payload from the stored state. */
function buildPayload(id: string, timer: TimerState, now: Date) {
  return { sessionId: id, status: timer.status, elapsedSeconds: elapsedSeconds(timer, now), remainingSeconds: remainingSeconds(timer, now), serverTime: now };
}

function sessions(startedWithinMs: number): { id: string; timer: TimerState }[] {
  const now = Date.now();
  return Array.from({ length: SESSIONS }, (_, i) => ({
    id: `s${i}`,
    timer: {
      type: 'FREE',
      status: 'RUNNING',
      focusSeconds: null,
      accumulatedMs: 0,
      runStartedAt: new Date(now - Math.floor(Math.random() * startedWithinMs)),
      endedAt: null,
      pausedReason: null,
    },
  }));
}

async function measure(run: (onTick: () => void) => () => void): Promise<Result> {
  const windows = new Map<number, number>();
  let ticks = 0;
  const histogram = monitorEventLoopDelay({ resolution: 1 });
  const cpu = process.cpuUsage();
  histogram.enable();
  const stop = run(() => {
    ticks++;
    const w = Math.floor(performance.now() / 10);
    windows.set(w, (windows.get(w) ?? 0) + 1);
  });
  await new Promise((r) => setTimeout(r, SECONDS * 1000));
  stop();
  histogram.disable();
  const used = process.cpuUsage(cpu);
  return {
    ticks,
    busiestWindow: Math.max(...windows.values()),
    loopP99Ms: histogram.percentile(99) / 1e6,
    loopMaxMs: histogram.max / 1e6,
    cpuMs: (used.user + used.system) / 1000,
  };
}

// Sessions started at random instants over the last minute, as in real life.
const scheduled = await measure((onTick) => {
  const all = sessions(60_000);
  const byId = new Map(all.map((s) => [s.id, s]));
  const scheduler = new TickScheduler(systemClock, INTERVAL_MS, (id, timer, _v, now) => {
    buildPayload(id, timer, now);
    onTick();
  });
  for (const s of byId.values()) scheduler.register(s.id, s.timer, 1, s);
  return () => scheduler.close();
});

// Baseline: a timer per session, all created in the same instant.
const naive = await measure((onTick) => {
  const timers = sessions(60_000).map((s) =>
    setInterval(() => {
      buildPayload(s.id, s.timer, new Date());
      onTick();
    }, INTERVAL_MS),
  );
  return () => timers.forEach(clearInterval);
});

const rows = [
  ['', 'TickScheduler (phased)', 'setInterval per session'],
  ['ticks delivered', scheduled.ticks, naive.ticks],
  ['busiest 10 ms window (ticks)', scheduled.busiestWindow, naive.busiestWindow],
  ['event-loop delay p99 (ms)', scheduled.loopP99Ms.toFixed(1), naive.loopP99Ms.toFixed(1)],
  ['event-loop delay max (ms)', scheduled.loopMaxMs.toFixed(1), naive.loopMaxMs.toFixed(1)],
  ['CPU (ms)', scheduled.cpuMs.toFixed(0), naive.cpuMs.toFixed(0)],
];
process.stdout.write(`${SESSIONS} running sessions, ${SECONDS} s, tick every ${INTERVAL_MS} ms\n`);
for (const r of rows) process.stdout.write(`${String(r[0]).padEnd(30)}${String(r[1]).padStart(24)}${String(r[2]).padStart(26)}\n`);
