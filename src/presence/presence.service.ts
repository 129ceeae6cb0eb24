import type { Kysely } from 'kysely';
import type { Clock } from '../clock.js';
import type { Database } from '../db/database.js';
import { isBackendUnavailable } from '../db/failures.js';
import type { Logger } from '../logger.js';
import { findRunningSinceLastSeen, touchLastSeen } from './presence.repository.js';
import type { Presence } from './presence.js';

/** Presence's timings. */
export interface PresenceSettings {
  /** How long a student may be without any connection before their session is paused (DISCONNECT_GRACE_SECONDS). */
  graceMs: number;
  /**
   * How often `last_seen_at` is written for connected students, and how soon a pause that
   * failed because the database was away is tried again (until it is written or the student is back).
   */
  heartbeatMs: number;
}

/** What presence needs from the rest of the server. */
export interface PresenceOptions extends PresenceSettings {
  db: Kysely<Database>;
  clock: Clock;
  logger: Logger;
  /** Pauses the student's RUNNING session as of `lostAt` (reason DISCONNECT); resolves true when there was one to pause. */
  pause: (userId: string, lostAt: Date) => Promise<boolean>;
}

/**
 * Presence on a single instance, in memory: which students have a live connection, and what
 * happens when the last one goes: after a grace period without reconnection their RUNNING
 * session is paused at the instant the last connection was lost. Driven by the WebSocket layer
 * at the socket level (open/close of the socket itself), so it never waits on a subscription's
 * pending work. The per-student socket cap is the transport's (`SocketCaps`), on one instance.
 */
export class PresenceService implements Presence {
  readonly #connections = new Map<string, number>();
  readonly #pending = new Map<string, NodeJS.Timeout>();
  /** Students whose pause is being written (still "pending" for completion deferral). */
  readonly #pausing = new Set<string>();
  readonly #inFlight = new Set<Promise<unknown>>();
  readonly #heartbeat: NodeJS.Timeout;
  #closed = false;
  #pausesWritten = 0;

  constructor(private readonly options: PresenceOptions) {
    this.#heartbeat = setInterval(() => void this.#beat(), options.heartbeatMs);
    this.#heartbeat.unref();
  }

  /** {@link connected}: never refused (the cap is counted by the transport on one instance). */
  admit(userId: string): Promise<(() => void) | undefined> {
    return Promise.resolve(this.connected(userId));
  }

  /** One instance has nobody to give its sockets to: never fenced. */
  onFenced(): () => void {
    return () => {};
  }

  /**
   * Marks one more live connection of `userId` (cancelling a pending pause); the returned
   * function marks it gone (idempotent). When the last one goes, the pause is scheduled.
   */
  connected(userId: string): () => void {
    this.#connections.set(userId, (this.#connections.get(userId) ?? 0) + 1);
    this.#cancelPending(userId);
    let gone = false;
    return () => {
      if (gone) return;
      gone = true;
      const left = (this.#connections.get(userId) ?? 1) - 1;
      if (left > 0) return void this.#connections.set(userId, left);
      this.#connections.delete(userId);
      const lostAt = this.options.clock.now();
      // Record the exact instant, so a crash during the grace still pauses at it.
      this.#track(
        touchLastSeen(this.options.db, [userId], lostAt).catch((err: unknown) =>
          this.options.logger.warn({ err, userId }, 'could not record last-seen instant'),
        ),
      );
      this.#schedulePause(userId, lostAt, this.options.graceMs);
    };
  }

  /**
   * After a start-up: students whose session was left RUNNING by a server that stopped without
   * handling their disconnect get the usual grace to reconnect, then are paused at their
   * last-seen instant.
   */
  async recover(): Promise<number> {
    const stale = await findRunningSinceLastSeen(this.options.db);
    for (const { userId, lastSeenAt } of stale) {
      if (!this.#connections.has(userId)) this.#schedulePause(userId, lastSeenAt, this.options.graceMs);
    }
    return stale.length;
  }

  /** Students with a live connection. */
  get connectedStudents(): number {
    return this.#connections.size;
  }

  /** Whether the student's pause after disconnect is scheduled and not yet run or cancelled. */
  isPausePending(userId: string): boolean {
    return this.#pending.has(userId) || this.#pausing.has(userId);
  }

  /** Pauses scheduled or being written, and not yet done or cancelled. */
  get pendingPauses(): number {
    return this.#pending.size + this.#pausing.size;
  }

  /** Sessions paused after their student's disconnect since start-up. Only grows. */
  get disconnectPauses(): number {
    return this.#pausesWritten;
  }

  /**
   * Stops timers after writing a last heartbeat for everyone still connected, so the next
   * start-up can give them their grace from now. Pending pauses are dropped here and redone by
   * {@link recover} at the next start.
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#heartbeat);
    for (const timer of this.#pending.values()) clearTimeout(timer);
    this.#pending.clear();
    await this.#beat().catch(() => {});
    await Promise.allSettled([...this.#inFlight]);
  }

  #schedulePause(userId: string, lostAt: Date, delayMs: number): void {
    if (this.#closed) return;
    this.#cancelPending(userId);
    const timer = setTimeout(() => {
      this.#pending.delete(userId);
      // Counted as pending until written, so a completion sweep in between cannot slip in.
      this.#pausing.add(userId);
      let retry = false;
      this.#track(
        this.options
          .pause(userId, lostAt)
          .then((paused) => {
            if (paused) this.#pausesWritten++;
          })
          .catch((err: unknown) => {
            // The database is away: try again a heartbeat later, unless the student is back by
            // then. Anything else is a bug that retrying would not fix.
            retry = isBackendUnavailable(err);
            this.options.logger.error({ err, userId, retry }, 'could not pause session after disconnect');
          })
          .finally(() => {
            this.#pausing.delete(userId);
            // A reconnection meanwhile cancelled this pause; a later disconnect scheduled its own.
            if (retry && !this.#connections.has(userId) && !this.#pending.has(userId)) {
              this.#schedulePause(userId, lostAt, this.options.heartbeatMs);
            }
          }),
      );
    }, delayMs);
    timer.unref();
    this.#pending.set(userId, timer);
  }

  #cancelPending(userId: string): void {
    const timer = this.#pending.get(userId);
    if (timer === undefined) return;
    clearTimeout(timer);
    this.#pending.delete(userId);
  }

  async #beat(): Promise<void> {
    const users = [...this.#connections.keys()];
    if (users.length === 0) return;
    await this.#track(
      touchLastSeen(this.options.db, users, this.options.clock.now()).catch((err: unknown) =>
        this.options.logger.warn({ err }, 'last-seen heartbeat failed'),
      ),
    );
  }

  #track<T>(p: Promise<T>): Promise<T> {
    this.#inFlight.add(p);
    void p.finally(() => this.#inFlight.delete(p)).catch(() => {});
    return p;
  }
}
