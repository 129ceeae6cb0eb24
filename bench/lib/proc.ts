import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

// Clock ticks per second of /proc/<pid>/stat's utime and stime (100 on every Linux we run on,
// but asked rather than assumed).
let clockTicks: number | undefined;
function ticksPerSecond(): number {
  clockTicks ??= Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  return clockTicks;
}

/** User and system CPU seconds and the name of a process or thread, from its `stat` file. */
function readStat(path: string): { name: string; user: number; system: number } {
  const stat = readFileSync(path, 'utf8');
  // The command name (field 2) may contain spaces and parentheses: count fields after the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // After the name, field 3 (state) is fields[0]; utime and stime are fields 14 and 15.
  return { name: stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')), user: Number(fields[11]) / ticksPerSecond(), system: Number(fields[12]) / ticksPerSecond() };
}

/** CPU time (user + system, all threads) a process has used so far, in seconds, from /proc/<pid>/stat. */
export function cpuSeconds(pid: number): number {
  const { user, system } = processCpuSeconds(pid);
  return user + system;
}

/** CPU time a process has used so far, user and system (the kernel's work for it: socket writes) apart, all threads, in seconds. */
export function processCpuSeconds(pid: number): { user: number; system: number } {
  return readStat(`/proc/${pid}/stat`);
}

/**
 * CPU seconds so far per thread name (`main` for the process's own thread, then V8's and
 * libuv's workers by their names, summed over threads of one name), user and system apart:
 * where a process's CPU goes when its JavaScript profile is mostly idle.
 */
export function threadCpuSeconds(pid: number): Record<string, { user: number; system: number }> {
  const byName: Record<string, { user: number; system: number }> = {};
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    let stat: ReturnType<typeof readStat>;
    try {
      stat = readStat(`/proc/${pid}/task/${tid}/stat`);
    } catch {
      continue; // the thread ended between the listing and the read
    }
    const name = tid === String(pid) ? 'main' : stat.name;
    const sum = (byName[name] ??= { user: 0, system: 0 });
    sum.user += stat.user;
    sum.system += stat.system;
  }
  return byName;
}

/**
 * The whole machine's CPU seconds so far, summed over its cores, busy (user, nice, system, irq,
 * softirq, steal) and idle (idle, iowait) apart, from /proc/stat: how much of the machine a
 * window left unused, whoever used the rest.
 */
export function machineCpuSeconds(): { busy: number; idle: number } {
  const line = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!;
  const [user, nice, system, idle, iowait, irq, softirq, steal] = line.trim().split(/\s+/).slice(1, 9).map((v) => Number(v) / ticksPerSecond()) as number[];
  return { busy: user! + nice! + system! + irq! + softirq! + steal!, idle: idle! + iowait! };
}

/** Resident set size of a process in bytes, from /proc/<pid>/status (VmRSS). */
export function rssBytes(pid: number): number {
  return statusKib(pid, 'VmRSS') * 1024;
}

/** The most resident memory a process has had at any time, in bytes (VmHWM). */
export function peakRssBytes(pid: number): number {
  return statusKib(pid, 'VmHWM') * 1024;
}

/** A `kB` field of /proc/<pid>/status. */
function statusKib(pid: number, field: string): number {
  const match = new RegExp(`^${field}:\\s+(\\d+) kB$`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return match ? Number(match[1]) : NaN;
}

/** File descriptors a process has open, from /proc/<pid>/fd. */
export function openFds(pid: number): number {
  return readdirSync(`/proc/${pid}/fd`).length;
}

/** The soft limit on open files of a process, from /proc/<pid>/limits. */
export function openFilesLimit(pid: number): number {
  const match = /^Max open files\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/limits`, 'utf8'));
  return match ? Number(match[1]) : NaN;
}
