import { WebSocket } from 'ws';

/** The V8 heap of a process right after a full garbage collection. */
export interface HeapReading {
  /** Bytes used on the V8 heap (every space). */
  usedBytes: number;
  /** Bytes of ArrayBuffer backing stores (Buffers: socket reads and writes live there). */
  backingStoreBytes: number;
}

/**
 * Forces two full garbage collections in a process started with `--inspect` and reads its heap,
 * through the V8 inspector protocol at `inspectorUrl` (`ws://127.0.0.1:…/<id>`). The same
 * reading for every server, without any of them having to expose `gc()` or import anything.
 * Rejects after `timeoutMs`.
 */
export async function readHeapAfterGc(inspectorUrl: string, timeoutMs = 60_000): Promise<HeapReading> {
  const socket = new WebSocket(inspectorUrl, { perMessageDeflate: false });
  const pending = new Map<number, (result: Record<string, unknown>) => void>();
  let nextId = 0;
  let timer: NodeJS.Timeout | undefined;
  try {
    const failure = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`inspector at ${inspectorUrl} did not answer within ${timeoutMs} ms`)), timeoutMs);
      socket.once('error', reject);
      socket.once('close', () => reject(new Error('inspector connection closed')));
    });
    socket.on('message', (data) => {
      const message = JSON.parse(data.toString()) as { id?: number; result?: Record<string, unknown> };
      if (message.id !== undefined) pending.get(message.id)?.(message.result ?? {});
    });
    const call = (method: string) =>
      Promise.race([
        failure,
        new Promise<Record<string, unknown>>((resolve) => {
          const id = ++nextId;
          pending.set(id, resolve);
          socket.send(JSON.stringify({ id, method }));
        }),
      ]);
    await Promise.race([failure, new Promise((resolve) => socket.once('open', resolve))]);
    // Twice: objects with finalizers or weak references are only freed by a second pass.
    await call('HeapProfiler.collectGarbage');
    await call('HeapProfiler.collectGarbage');
    const usage = await call('Runtime.getHeapUsage');
    return { usedBytes: Number(usage.usedSize), backingStoreBytes: Number(usage.backingStorageSize ?? NaN) };
  } finally {
    clearTimeout(timer);
    socket.removeAllListeners('close');
    socket.on('error', () => {});
    socket.terminate();
  }
}
