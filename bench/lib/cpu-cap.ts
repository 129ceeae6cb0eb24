import { existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

// A CPU budget for one process, from a cgroup of its own: at most `fraction` of one core, in
// 10 ms periods (a process that has used its share waits for the next period, so a stall is
// under 10 ms). For measuring what N instances hold when each has the same budget, on a
// machine whose cores are also running the load: without it, the load clients' share of the
// cores decides the capacity, not the instances. Needs a writable cgroup file system (root):
// cgroup v1's `cpu` controller or cgroup v2 with `cpu` available.

const PERIOD_US = 10_000;
const V1 = '/sys/fs/cgroup/cpu';
const V2 = '/sys/fs/cgroup';

/** How much of its budget a capped process was held back in a window. */
export interface Throttling {
  /** 10 ms periods in which it ran. */
  periods: number;
  /** Of those, the ones in which it used its whole budget and had to wait. */
  throttledPeriods: number;
  throttledMs: number;
}

export class CpuCap {
  private constructor(
    private readonly dir: string,
    private readonly v2: boolean,
  ) {}

  /** Makes the cgroup `name` with a budget of `fraction` of a core; throws, saying why, when this machine cannot. */
  static create(name: string, fraction: number): CpuCap {
    if (!(fraction > 0 && fraction <= 64)) throw new Error(`a CPU cap must be a fraction of a core above 0 (got ${fraction})`);
    const quota = String(Math.round(fraction * PERIOD_US));
    try {
      if (existsSync(join(V1, 'cpu.cfs_quota_us'))) {
        const dir = join(V1, name);
        mkdirSync(dir);
        writeFileSync(join(dir, 'cpu.cfs_period_us'), String(PERIOD_US));
        writeFileSync(join(dir, 'cpu.cfs_quota_us'), quota);
        return new CpuCap(dir, false);
      }
      if (readFileSync(join(V2, 'cgroup.controllers'), 'utf8').split(/\s+/).includes('cpu')) {
        writeFileSync(join(V2, 'cgroup.subtree_control'), '+cpu');
        const dir = join(V2, name);
        mkdirSync(dir);
        writeFileSync(join(dir, 'cpu.max'), `${quota} ${PERIOD_US}`);
        return new CpuCap(dir, true);
      }
    } catch (err) {
      throw new Error(`--cpu-cap: cannot make a cgroup here (${(err as Error).message}); it needs root and a writable cgroup file system`, { cause: err });
    }
    throw new Error('--cpu-cap: no cgroup CPU controller on this machine (neither cgroup v1 cpu nor cgroup v2 with cpu)');
  }

  /** Moves the process `pid` (all its threads) into the cgroup. */
  add(pid: number): void {
    writeFileSync(join(this.dir, 'cgroup.procs'), String(pid));
  }

  /** The cgroup's throttling counters so far. */
  throttling(): Throttling {
    const stat = Object.fromEntries(
      readFileSync(join(this.dir, 'cpu.stat'), 'utf8')
        .trim()
        .split('\n')
        .map((line) => line.split(' ') as [string, string])
        .map(([key, value]) => [key, Number(value)]),
    );
    return {
      periods: stat.nr_periods ?? NaN,
      throttledPeriods: stat.nr_throttled ?? NaN,
      // v1 counts nanoseconds, v2 microseconds.
      throttledMs: this.v2 ? (stat.throttled_usec ?? NaN) / 1000 : (stat.throttled_time ?? NaN) / 1e6,
    };
  }

  /** Removes the cgroup; its processes must have exited. Never throws. */
  remove(): void {
    try {
      rmdirSync(this.dir);
    } catch {
      // Still in use (a process that would not die) or already gone: nothing more to do.
    }
  }
}

/** The throttling of a window: `to` less `from`. */
export function throttlingBetween(from: Throttling, to: Throttling): Throttling {
  return { periods: to.periods - from.periods, throttledPeriods: to.throttledPeriods - from.throttledPeriods, throttledMs: to.throttledMs - from.throttledMs };
}
