import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { Kysely, Transaction } from 'kysely';
import type { Clock } from '../clock.js';
import type { Database } from '../db/database.js';
import type { Logger } from '../logger.js';
import {
  claimDuePause,
  closeSocketRow,
  clusterCounts,
  findDeadInstances,
  findPendingPauses,
  joinCluster,
  type Liveness,
  markUnaccountedAbsent,
  openSocket,
  retireInstance,
  writeHeartbeat,
} from './cluster-presence.repository.js';
import type { Presence } from './presence.js';

/** An instance whose heartbeat is this many periods old is dead. */
export const LIVENESS_HEARTBEATS = 3;
/** Pending pauses read (and due ones written) per sweep. */
const SWEEP_BATCH = 500;

/** What cluster presence needs from the rest of the server. */
export interface ClusterPresenceOptions {
  db: Kysely<Database>;
  clock: Clock;
  logger: Logger;
  /** This instance's id (INSTANCE_ID or random). */
  instanceId: string;
  /** DISCONNECT_GRACE_SECONDS, in ms. */
  graceMs: number;
  /** CLUSTER_HEARTBEAT_SECONDS, in ms: how often the instance writes its heartbeat; dead after {@link LIVENESS_HEARTBEATS} of them. */
  heartbeatMs: number;
  /** WS_MAX_SOCKETS_PER_STUDENT, counted on every live instance. */
  maxSocketsPerStudent: number;
  /**
   * Pauses the student's RUNNING session after a disconnect, in one transaction that first runs
   * `claim` (which resolves the instant to pause at, or null to leave it); resolves true when a
   * session was paused.
   */
  pause: (userId: string, claim: (trx: Transaction<Database>) => Promise<Date | null>) => Promise<boolean>;
}

/** Cluster-wide counts as of the last heartbeat, for `/metrics`. */
export interface ClusterPresenceCounts {
  /** Instances whose heartbeat is fresh. */
  instances: number;
  /** Authenticated sockets on those instances. */
  sockets: number;
  /** Dead instances this one retired since start-up. */
  instancesRetired: number;
  /** Times this instance gave up its sockets (see {@link Presence.onFenced}). */
  fenced: number;
}

/**
 * Presence shared by the instances of a cluster, in PostgreSQL (see
 * `cluster-presence.repository.ts`): one row per open socket, a heartbeat per instance, and a
 * pending pause per student whose last socket went. Every instance sweeps once a second: it
 * retires dead instances (their students are absent since the last heartbeat) and writes the
 * pauses that are due, each under the student's lock so that a socket opening elsewhere
 * meanwhile wins. An instance declares others dead only once its own heartbeat has been written
 * for a whole liveness period (after an outage of its own, it does not judge the others by its
 * stale view); one that cannot write its heartbeat for half that period gives up its sockets
 * (1013), so that their clients move before the others declare it dead.
 */
export class ClusterPresence implements Presence {
  readonly #liveness: Liveness;
  readonly #graceSeconds: number;
  /** Sockets per student on this instance. */
  readonly #local = new Map<string, number>();
  /** Students whose pause was pending at the last sweep, or whose last socket went here since. */
  #pending = new Set<string>();
  /** Socket rows whose delete failed (database away), with the instant they closed: retried at each heartbeat. */
  readonly #orphans = new Map<string, { userId: string; closedAt: Date }>();
  readonly #inFlight = new Set<Promise<unknown>>();
  readonly #fenceListeners = new Set<() => void>();
  readonly #counts: ClusterPresenceCounts = { instances: 0, sockets: 0, instancesRetired: 0, fenced: 0 };
  #heartbeat: NodeJS.Timeout | undefined;
  #sweeper: NodeJS.Timeout | undefined;
  #beating = false;
  #sweeping = false;
  /** performance.now() of the last heartbeat written. */
  #lastBeat = 0;
  /** Since when heartbeats have been written without a failure; undefined after one failed. */
  #healthySince: number | undefined;
  /** Whether the last heartbeat failed (the database refused it or could not be reached). */
  #lastBeatFailed = false;
  /** Whether a heartbeat write is waiting for the database. */
  #writing = false;
  #fenced = false;
  #closed = false;
  #pausesWritten = 0;

  constructor(private readonly options: ClusterPresenceOptions) {
    this.#liveness = { livenessSeconds: (options.heartbeatMs * LIVENESS_HEARTBEATS) / 1000 };
    this.#graceSeconds = options.graceMs / 1000;
  }

  /** Joins the cluster, marks absent the students a stopped single instance left running, and starts the heartbeat and sweeps. */
  async recover(): Promise<number> {
    const { db, instanceId } = this.options;
    // The timers first: should joining fail (the database away), the heartbeat finds no row and joins then.
    this.#lastBeat = performance.now();
    this.#heartbeat = setInterval(() => void this.#beat(), this.options.heartbeatMs);
    this.#heartbeat.unref();
    this.#sweeper = setInterval(() => void this.#sweep(), Math.min(1_000, this.options.heartbeatMs));
    this.#sweeper.unref();
    await joinCluster(db, instanceId, this.#graceSeconds, this.#liveness);
    this.#lastBeat = performance.now();
    this.#healthySince = this.#lastBeat;
    return markUnaccountedAbsent(db, this.#graceSeconds);
  }

  async admit(userId: string): Promise<(() => void) | undefined> {
    if (this.#fenced || this.#closed) throw new Error('this instance is not taking sockets (it cannot write its heartbeat)');
    const socket = { id: randomUUID(), userId, instanceId: this.options.instanceId };
    if (!(await openSocket(this.options.db, socket, this.options.maxSocketsPerStudent, this.#liveness))) return undefined;
    this.#local.set(userId, (this.#local.get(userId) ?? 0) + 1);
    this.#pending.delete(userId);
    let gone = false;
    return () => {
      if (gone) return;
      gone = true;
      const left = (this.#local.get(userId) ?? 1) - 1;
      if (left > 0) this.#local.set(userId, left);
      else this.#local.delete(userId);
      this.#track(this.#closeRow(socket.id, userId, undefined));
    };
  }

  isPausePending(userId: string): boolean {
    return this.#pending.has(userId);
  }

  get connectedStudents(): number {
    return this.#local.size;
  }

  get pendingPauses(): number {
    return this.#pending.size;
  }

  get disconnectPauses(): number {
    return this.#pausesWritten;
  }

  /** Cluster-wide counts as of the last heartbeat. */
  get counts(): Readonly<ClusterPresenceCounts> {
    return { ...this.#counts };
  }

  onFenced(listener: () => void): () => void {
    this.#fenceListeners.add(listener);
    return () => this.#fenceListeners.delete(listener);
  }

  /**
   * Leaves the cluster: waits for the sockets' rows to go (the transports have closed them), then
   * marks absent, as of now, whoever is left on this instance alone, and deletes its row. Its
   * students get their grace to reconnect elsewhere: a rolling restart pauses nobody.
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#heartbeat);
    clearInterval(this.#sweeper);
    await Promise.allSettled([...this.#inFlight]);
    await retireInstance(this.options.db, this.options.instanceId, undefined, this.#graceSeconds, this.#liveness).catch((err: unknown) =>
      this.options.logger.warn({ err }, 'could not leave the cluster; the others will retire this instance when its heartbeat is old'),
    );
  }

  async #closeRow(socketId: string, userId: string, closedAt: Date | undefined): Promise<void> {
    try {
      this.#orphans.delete(socketId);
      if (await closeSocketRow(this.options.db, { id: socketId, userId }, this.#graceSeconds, this.#liveness, closedAt)) this.#pending.add(userId);
    } catch (err) {
      this.#orphans.set(socketId, { userId, closedAt: closedAt ?? this.options.clock.now() });
      this.options.logger.warn({ err, userId }, 'could not record a closed socket; will retry');
    }
  }

  async #beat(): Promise<void> {
    const now = performance.now();
    // Overdue because the database is away (the last write failed, or is still waiting), not
    // because this timer fired late: a busy event loop delays the heartbeat, and then the next
    // write, as soon as it runs, is fresh long before the others could judge the instance dead.
    const overdue = now - this.#lastBeat >= (this.options.heartbeatMs * LIVENESS_HEARTBEATS) / 2;
    if (!this.#fenced && overdue && (this.#writing || this.#lastBeatFailed)) {
      this.options.logger.error({ instanceId: this.options.instanceId }, 'cannot write the cluster heartbeat: giving up this instance\'s sockets');
      this.#fence();
    }
    if (this.#beating || this.#closed) return;
    this.#beating = true;
    const { db, instanceId } = this.options;
    try {
      this.#writing = true;
      if (!(await writeHeartbeat(db, instanceId))) {
        // Declared dead by the others, who have retired its sockets: their students must come back.
        this.options.logger.warn({ instanceId }, 'this instance was retired by the cluster: rejoining and giving up its sockets');
        this.#fence();
        await joinCluster(db, instanceId, this.#graceSeconds, this.#liveness);
      }
      this.#writing = false;
      this.#lastBeat = performance.now();
      this.#lastBeatFailed = false;
      this.#healthySince ??= this.#lastBeat;
      if (this.#fenced) this.options.logger.info({ instanceId }, 'cluster heartbeat written again: taking sockets');
      this.#fenced = false;
      Object.assign(this.#counts, await clusterCounts(db, this.#liveness));
      for (const [socketId, { userId, closedAt }] of this.#orphans) await this.#closeRow(socketId, userId, closedAt);
    } catch (err) {
      this.#healthySince = undefined;
      this.#lastBeatFailed = true;
      this.options.logger.warn({ err }, 'cluster heartbeat failed');
    } finally {
      this.#writing = false;
      this.#beating = false;
    }
  }

  #fence(): void {
    this.#fenced = true;
    this.#counts.fenced++;
    for (const listener of this.#fenceListeners) listener();
  }

  async #sweep(): Promise<void> {
    if (this.#sweeping || this.#closed) return;
    this.#sweeping = true;
    const { db, instanceId, logger } = this.options;
    try {
      const livenessMs = this.#liveness.livenessSeconds * 1000;
      if (this.#healthySince !== undefined && performance.now() - this.#healthySince >= livenessMs) {
        for (const dead of await findDeadInstances(db, instanceId, this.#liveness)) {
          const absent = await retireInstance(db, dead.id, dead.heartbeatAt, this.#graceSeconds, this.#liveness);
          this.#counts.instancesRetired++;
          logger.warn({ instanceId: dead.id, lastHeartbeat: dead.heartbeatAt, absentStudents: absent }, 'retired a dead instance');
        }
      }
      const pending = await findPendingPauses(db, SWEEP_BATCH);
      this.#pending = new Set(pending.map((p) => p.userId));
      for (const { userId, due } of pending) {
        if (!due) continue;
        if (await this.options.pause(userId, (trx) => claimDuePause(trx, userId, this.#liveness))) this.#pausesWritten++;
        this.#pending.delete(userId);
      }
    } catch (err) {
      logger.warn({ err }, 'presence sweep failed; will retry');
    } finally {
      this.#sweeping = false;
    }
  }

  #track<T>(p: Promise<T>): Promise<T> {
    this.#inFlight.add(p);
    void p.finally(() => this.#inFlight.delete(p)).catch(() => {});
    return p;
  }
}
