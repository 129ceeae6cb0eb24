import cluster, { type Worker } from 'node:cluster';
import { hostname } from 'node:os';
import type { Config } from '../config.js';
import type { Logger } from '../logger.js';

/** INSTANCE_ID's limit (see `configVariables`). */
const INSTANCE_ID_MAX = 64;

/**
 * The INSTANCE_ID of worker `slot` (1…WORKERS): `<base>-w<slot>`, the base being INSTANCE_ID
 * or, unset, `<hostname>-<pid of the primary>`. Characters INSTANCE_ID does not allow become
 * `-`, and the base is cut so that the whole fits 64 characters. A worker restarted in a slot
 * keeps its slot's id: it is the same member of the cluster, not a new one.
 */
export function workerInstanceId(base: string, slot: number): string {
  const suffix = `-w${slot}`;
  return `${base.replace(/[^A-Za-z0-9._-]/g, '-').slice(0, INSTANCE_ID_MAX - suffix.length)}${suffix}`;
}

/** How the primary restarts a worker that died. */
export interface RestartBackoff {
  /** Delay before the first restart of a slot. Default 1 s. */
  initialMs: number;
  /** Longest delay: each restart in a row doubles it up to this. Default 30 s. */
  maxMs: number;
  /** A worker that ran this long before dying is restarted after `initialMs` again. Default 60 s. */
  stableMs: number;
}

const defaultBackoff: RestartBackoff = { initialMs: 1_000, maxMs: 30_000, stableMs: 60_000 };

/** Time given to the workers, past their own SHUTDOWN_TIMEOUT_SECONDS, to exit before the primary kills them. */
const SHUTDOWN_MARGIN_MS = 5_000;

/** One worker's place: its id, its process while it runs, and how it has been dying. */
interface Slot {
  readonly slot: number;
  readonly instanceId: string;
  worker: Worker | undefined;
  startedAt: number;
  /** Restarts in a row, each after a short life: the exponent of the back-off. */
  failures: number;
  restartTimer: NodeJS.Timeout | undefined;
}

/**
 * The primary of `WORKERS=N` (N > 1): forks N workers, each running this same entry point (the
 * server, sharing the listening port through `node:cluster`, which hands connections to the
 * workers in turn) with its own INSTANCE_ID (see {@link workerInstanceId}) and, when
 * JWT_SECRET is unset, this process's random secret, so a token issued by one worker is valid
 * on the others. A worker that exits unexpectedly is logged (`error`) and forked again after a
 * back-off ({@link RestartBackoff}). On SIGTERM or SIGINT, the signal goes to every worker, which
 * shuts down gracefully; the primary exits once they all have: 0 when every one exited 0,
 * otherwise 1, and 1 after killing those still running SHUTDOWN_TIMEOUT_SECONDS + 5 s later.
 * The primary opens no database and serves nothing itself.
 */
export function runWorkers(config: Config, logger: Logger, backoff: RestartBackoff = defaultBackoff): void {
  const base = config.INSTANCE_ID ?? `${hostname()}-${process.pid}`;
  const slots: Slot[] = Array.from({ length: config.WORKERS }, (_, i) => ({
    slot: i + 1,
    instanceId: workerInstanceId(base, i + 1),
    worker: undefined,
    startedAt: 0,
    failures: 0,
    restartTimer: undefined,
  }));
  let stopping = false;
  let failedExit = false;

  if (config.jwtSecretGenerated) {
    logger.warn('JWT_SECRET is unset: the workers share a random secret made by this process; tokens will not survive a restart');
  }

  const fork = (slot: Slot) => {
    slot.restartTimer = undefined;
    slot.startedAt = Date.now();
    const worker = cluster.fork({
      INSTANCE_ID: slot.instanceId,
      ...(config.jwtSecretGenerated && { JWT_SECRET: config.JWT_SECRET }),
    });
    slot.worker = worker;
    logger.info({ worker: slot.instanceId, pid: worker.process.pid }, 'worker started');
    worker.on('exit', (code, signal) => {
      slot.worker = undefined;
      if (stopping) {
        if (code !== 0) failedExit = true;
        logger.info({ worker: slot.instanceId, code, signal }, 'worker exited');
        exitWhenAllGone();
        return;
      }
      if (Date.now() - slot.startedAt >= backoff.stableMs) slot.failures = 0;
      const restartInMs = Math.min(backoff.maxMs, backoff.initialMs * 2 ** slot.failures);
      slot.failures++;
      logger.error({ worker: slot.instanceId, code, signal, restartInMs }, 'worker exited unexpectedly; restarting it');
      slot.restartTimer = setTimeout(() => fork(slot), restartInMs);
    });
  };

  const exitWhenAllGone = () => {
    if (slots.some((s) => s.worker !== undefined)) return;
    logger.info('every worker has exited');
    // Written out first: exiting while pino's last asynchronous writes are pending would lose or reorder them.
    logger.flush(() => process.exit(failedExit ? 1 : 0));
  };

  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.on(signal, () => {
      if (stopping) return;
      stopping = true;
      logger.info({ signal }, 'signal received; stopping the workers');
      for (const slot of slots) {
        clearTimeout(slot.restartTimer);
        // A terminal's Ctrl-C reaches the workers as well; their handlers ignore a second signal.
        slot.worker?.process.kill(signal);
      }
      setTimeout(() => {
        const left = slots.filter((s) => s.worker !== undefined);
        logger.error({ workers: left.map((s) => s.instanceId) }, 'workers still running after the shutdown timeout; killing them');
        for (const s of left) s.worker?.process.kill('SIGKILL');
        failedExit = true;
      }, config.SHUTDOWN_TIMEOUT_SECONDS * 1000 + SHUTDOWN_MARGIN_MS).unref();
      exitWhenAllGone();
    });
  }

  logger.info({ workers: config.WORKERS, port: config.PORT }, `starting ${config.WORKERS} workers`);
  slots.forEach(fork);
}
