import { WebSocket } from 'ws';

/** The V8 heap of a process right after a full garbage collection. */
export interface HeapReading {
  /** Bytes used on the V8 heap (every space). */
  usedBytes: number;
  /** Bytes of ArrayBuffer backing stores (Buffers: socket reads and writes live there). */
  backingStoreBytes: number;
}

/** A V8 CPU profile (the `.cpuprofile` format Chrome DevTools opens). */
export interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; hitCount?: number; children?: number[] }[];
  startTime: number;
  endTime: number;
  samples?: number[];
  timeDeltas?: number[];
}

/**
 * One connection to a process's V8 inspector (`ws://127.0.0.1:…/<id>`, the process started
 * with `--inspect`): calls protocol methods; every call rejects once `timeoutMs` has passed
 * since the connection opened or the connection drops.
 */
class InspectorSession {
  readonly #socket: WebSocket;
  readonly #pending = new Map<number, (result: Record<string, unknown>) => void>();
  /** Listeners of protocol events (messages without an id), by method. */
  readonly #events = new Map<string, (params: Record<string, unknown>) => void>();
  readonly #failure: Promise<never>;
  #timer: NodeJS.Timeout | undefined;
  #nextId = 0;

  constructor(url: string, timeoutMs: number) {
    this.#socket = new WebSocket(url, { perMessageDeflate: false });
    this.#failure = new Promise<never>((_, reject) => {
      this.#timer = setTimeout(() => reject(new Error(`inspector at ${url} did not answer within ${timeoutMs} ms`)), timeoutMs);
      this.#socket.once('error', reject);
      this.#socket.once('close', () => reject(new Error('inspector connection closed')));
    });
    this.#failure.catch(() => {});
    this.#socket.on('message', (data) => {
      const message = JSON.parse(data.toString()) as { id?: number; result?: Record<string, unknown>; method?: string; params?: Record<string, unknown> };
      if (message.id !== undefined) this.#pending.get(message.id)?.(message.result ?? {});
      else if (message.method) this.#events.get(message.method)?.(message.params ?? {});
    });
  }

  /** Calls `listener` with the parameters of every `method` event. */
  on(method: string, listener: (params: Record<string, unknown>) => void): void {
    this.#events.set(method, listener);
  }

  async open(): Promise<this> {
    await Promise.race([this.#failure, new Promise((resolve) => this.#socket.once('open', resolve))]);
    return this;
  }

  call(method: string, params?: Record<string, unknown>): Promise<Record<string, unknown>> {
    return Promise.race([
      this.#failure,
      new Promise<Record<string, unknown>>((resolve) => {
        const id = ++this.#nextId;
        this.#pending.set(id, resolve);
        this.#socket.send(JSON.stringify({ id, method, params }));
      }),
    ]);
  }

  close(): void {
    clearTimeout(this.#timer);
    this.#socket.removeAllListeners('close');
    this.#socket.on('error', () => {});
    this.#socket.terminate();
  }
}

/**
 * Forces two full garbage collections in a process started with `--inspect` and reads its heap,
 * through the V8 inspector protocol at `inspectorUrl`. The same reading for every server,
 * without any of them having to expose `gc()` or import anything. Rejects after `timeoutMs`.
 */
export async function readHeapAfterGc(inspectorUrl: string, timeoutMs = 60_000): Promise<HeapReading> {
  const session = await new InspectorSession(inspectorUrl, timeoutMs).open();
  try {
    // Twice: objects with finalizers or weak references are only freed by a second pass.
    await session.call('HeapProfiler.collectGarbage');
    await session.call('HeapProfiler.collectGarbage');
    const usage = await session.call('Runtime.getHeapUsage');
    return { usedBytes: Number(usage.usedSize), backingStoreBytes: Number(usage.backingStorageSize ?? NaN) };
  } finally {
    session.close();
  }
}

/** Shallow bytes and object count on the heap, by kind of object. */
export type HeapCensus = Map<string, { bytes: number; count: number }>;

/**
 * Takes a heap snapshot of the process at `inspectorUrl` (after a full garbage collection, as
 * V8 does for a snapshot) and counts its objects by kind: constructor name for objects,
 * `(closure) name` for functions, `(string)`, `(array)`, `(code)` and V8's other node types.
 * Shallow sizes: what each kind occupies itself, the sum of which is the heap.
 */
export async function heapCensus(inspectorUrl: string, timeoutMs = 600_000): Promise<HeapCensus> {
  const session = await new InspectorSession(inspectorUrl, timeoutMs).open();
  try {
    const chunks: string[] = [];
    session.on('HeapProfiler.addHeapSnapshotChunk', (params) => chunks.push(String(params.chunk)));
    await session.call('HeapProfiler.collectGarbage');
    await session.call('HeapProfiler.takeHeapSnapshot', { reportProgress: false });
    const snapshot = JSON.parse(chunks.join('')) as {
      snapshot: { meta: { node_fields: string[]; node_types: [string[], ...unknown[]] } };
      nodes: number[];
      strings: string[];
    };
    const { node_fields: fields, node_types: types } = snapshot.snapshot.meta;
    const width = fields.length;
    const [typeAt, nameAt, sizeAt] = ['type', 'name', 'self_size'].map((f) => fields.indexOf(f)) as [number, number, number];
    const census: HeapCensus = new Map();
    for (let i = 0; i < snapshot.nodes.length; i += width) {
      const type = types[0][snapshot.nodes[i + typeAt]!]!;
      const name = snapshot.strings[snapshot.nodes[i + nameAt]!]!;
      const kind = type === 'object' ? name : type === 'closure' ? `(closure) ${name || 'anonymous'}` : `(${type})`;
      const entry = census.get(kind) ?? { bytes: 0, count: 0 };
      entry.bytes += snapshot.nodes[i + sizeAt]!;
      entry.count++;
      census.set(kind, entry);
    }
    return census;
  } finally {
    session.close();
  }
}

/** The kinds that grew most from `before` to `after`, per connection: `bytes/conn  count/conn  kind` lines. */
export function censusGrowth(before: HeapCensus, after: HeapCensus, connections: number, count = 30): string[] {
  return [...after]
    .map(([kind, a]) => ({ kind, bytes: a.bytes - (before.get(kind)?.bytes ?? 0), count: a.count - (before.get(kind)?.count ?? 0) }))
    .sort((a, b) => b.bytes - a.bytes)
    .slice(0, count)
    .map(({ kind, bytes, count: n }) => `${(bytes / connections).toFixed(0).padStart(7)} B ${(n / connections).toFixed(2).padStart(7)}  ${kind}`);
}

/**
 * Starts V8's sampling CPU profiler in the process at `inspectorUrl`; the returned function
 * stops it and resolves with the profile. `--profile`'s window profile: sampling costs the
 * server a few per cent, so a profiled run's CPU figures are not comparable with the others.
 */
export async function startCpuProfile(inspectorUrl: string, timeoutMs = 600_000): Promise<() => Promise<CpuProfile>> {
  const session = await new InspectorSession(inspectorUrl, timeoutMs).open();
  try {
    await session.call('Profiler.enable');
    await session.call('Profiler.setSamplingInterval', { interval: 200 });
    await session.call('Profiler.start');
  } catch (err) {
    session.close();
    throw err;
  }
  return async () => {
    try {
      return (await session.call('Profiler.stop')).profile as CpuProfile;
    } finally {
      session.close();
    }
  };
}

/** The functions with the most samples of their own, as `share% name (file:line)` lines. */
export function topSelfTime(profile: CpuProfile, count = 25): string[] {
  const byNode = new Map(profile.nodes.map((node) => [node.id, node]));
  const self = new Map<string, number>();
  let total = 0;
  for (const id of profile.samples ?? []) {
    const frame = byNode.get(id)?.callFrame;
    if (!frame) continue;
    const where = frame.url ? ` (${frame.url.replace(/^.*\/node_modules\//, '').replace(/^file:\/\/.*?\/(src|bench)\//, '$1/')}:${frame.lineNumber + 1})` : '';
    const name = `${frame.functionName || '(anonymous)'}${where}`;
    self.set(name, (self.get(name) ?? 0) + 1);
    total++;
  }
  return [...self]
    .sort((a, b) => b[1] - a[1])
    .slice(0, count)
    .map(([name, samples]) => `${((samples / total) * 100).toFixed(1).padStart(5)}% ${name}`);
}
