/** The servers the benchmark knows, in the order they run. */
export const SERVERS = ['floor', 'graphql-ws', 'studyclock'] as const;
/** One of {@link SERVERS}. */
export type ServerName = (typeof SERVERS)[number];

/**
 * How studyclock's seeded sessions are phased: `spread` (default) starts each run at its own
 * fraction of a second, as students' sessions are (studyclock then ticks each on its own
 * phase); `aligned` starts them all on the baselines' shared ticker's second, so that all three
 * servers deliver every tick in one burst.
 */
export type Phase = 'spread' | 'aligned';

/** The command line, parsed. */
export interface BenchOptions {
  sizes: number[];
  windowSeconds: number;
  servers: ServerName[];
  phase: Phase;
  warmupSeconds: number;
  settleSeconds: number;
  perWorker: number;
  concurrency: number;
  outDir: string;
  /** Servers whose steady window is CPU-profiled (the profile is written beside the JSON). */
  profile: ServerName[];
  /** Servers whose heap is counted by kind, idle and loaded (printed per connection). */
  heapCensus: ServerName[];
}

/** The sizes: 19,900 leaves the server 100 of its 20,000 open files. */
const DEFAULTS: BenchOptions = {
  sizes: [1_000, 5_000, 10_000, 19_900],
  windowSeconds: 15,
  servers: [...SERVERS],
  phase: 'spread',
  warmupSeconds: 5,
  // Longer than PostgreSQL's 10 s idle flush of backend statistics: the ramp's transactions
  // are in pg_stat_database before the window opens, so its cross-check counts the window only.
  settleSeconds: 11,
  perWorker: 5_000,
  concurrency: 200,
  outDir: 'artifacts/bench',
  profile: [],
  heapCensus: [],
};

/** `--help`. */
export const USAGE = `npm run bench:realtime -- [flags]

  --sizes=1000,5000,10000,19900   subscribers per run (default: the issue's four sizes)
  --window=15                     seconds of steady ticking measured per run
  --servers=floor,graphql-ws,studyclock
                                  which servers, in this order (ratios need floor and graphql-ws)
  --phase=spread|aligned          studyclock sessions on their own phases (default) or all on one
  --warmup=5                      seconds a warm-up batch (100 subscribers) runs before the idle reading
  --settle=11                     seconds between the end of the ramp and the window
  --per-worker=5000               most sockets per load-client process
  --concurrency=200               handshakes in flight at once, over all load processes
  --out=artifacts/bench           where the JSON result goes
  --profile=studyclock            CPU-profile these servers' ramps and windows (.cpuprofile beside
                                  the JSON, top functions printed); a profiled run's figures run high
  --heap-census=studyclock        count these servers' heaps by kind of object, idle and loaded,
                                  and print what each connection added (two heap snapshots)
`;

/** `value` as a positive integer (`_` allowed as a digit separator), or an error naming `--name`. */
export const positiveInt = (name: string, value: string) => {
  const n = Number(value.replaceAll('_', ''));
  if (!Number.isInteger(n) || n < 1) throw new Error(`--${name}: expected a positive integer, got "${value}"`);
  return n;
};

const serverList = (name: string, value: string): ServerName[] => {
  const servers = value.split(',').map((v) => v.trim());
  const unknown = servers.filter((s) => !(SERVERS as readonly string[]).includes(s));
  if (unknown.length > 0) throw new Error(`--${name}: unknown ${unknown.join(', ')} (known: ${SERVERS.join(', ')})`);
  return SERVERS.filter((s) => servers.includes(s));
};

/** Parses `argv` (without node and the script); throws with every flag it could not read. */
export function parseOptions(argv: readonly string[]): BenchOptions {
  const options = { ...DEFAULTS };
  const problems: string[] = [];
  for (const arg of argv) {
    const match = /^--([a-z-]+)=(.*)$/.exec(arg);
    if (!match) {
      problems.push(`unknown argument "${arg}"`);
      continue;
    }
    const [, name, value] = match as unknown as [string, string, string];
    try {
      switch (name) {
        case 'sizes':
          options.sizes = value.split(',').map((v) => positiveInt(name, v.trim()));
          break;
        case 'window':
          options.windowSeconds = positiveInt(name, value);
          break;
        case 'servers':
          options.servers = serverList(name, value);
          break;
        case 'profile':
          options.profile = serverList(name, value);
          break;
        case 'heap-census':
          options.heapCensus = serverList(name, value);
          break;
        case 'phase':
          if (value !== 'spread' && value !== 'aligned') throw new Error('--phase: spread or aligned');
          options.phase = value;
          break;
        case 'warmup':
          options.warmupSeconds = positiveInt(name, value);
          break;
        case 'settle':
          options.settleSeconds = positiveInt(name, value);
          break;
        case 'per-worker':
          options.perWorker = positiveInt(name, value);
          break;
        case 'concurrency':
          options.concurrency = positiveInt(name, value);
          break;
        case 'out':
          options.outDir = value;
          break;
        default:
          problems.push(`unknown flag --${name}`);
      }
    } catch (err) {
      problems.push((err as Error).message);
    }
  }
  if (problems.length > 0) throw new Error(`${problems.join('\n')}\n\n${USAGE}`);
  return options;
}
