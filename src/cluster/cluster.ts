import type { HeldLogins, RevocationListener } from '../auth/revocations.js';
import type { Logger } from '../logger.js';
import type { StudySession } from '../sessions/session.model.js';
import type { SessionChangeListener } from '../sessions/session.service.js';
import type { ClusterEvent, EventStream, EventStreamCounters, GapReason, HeardEvent, StreamReadiness } from './event-stream.js';
import { LagHistogram, type LagSnapshot } from './lag-histogram.js';

/** What the cluster feeds and reads: this instance's live subscribers and the database. */
export interface ClusterPeers {
  /** This instance's subscribers (the timer feed): what they watch, and where changes go. */
  feed: SessionChangeListener & {
    watched(): { sessionIds: string[]; userIds: string[] };
    isWatched(sessionId: string, userId: string): boolean;
  };
  /** Reads the stored state of watched sessions (one query). */
  load(watched: { sessionIds: string[]; userIds: string[] }): Promise<StudySession[]>;
  /** This instance's sockets: closes those of a revoked log-in or user, and says whose they are. */
  revocations: RevocationListener & { held(): HeldLogins };
  /** Of the held log-ins and users, those that have ended (one read): the reconcile's safety net for revocations. */
  endedLogins(held: HeldLogins): Promise<{ revokedFamilies: string[]; disabledUsers: string[]; deletedUsers: string[] }>;
}

/** Counters of the cluster, for `/metrics`. Each only grows. */
export interface ClusterCounters {
  /** Reconciles run (each one query). */
  reconciles: number;
  /** Sessions those reconciles read. */
  reconciledSessions: number;
  /** Of those, the ones newer than anything the stream had brought: changes the stream lost, repaired. */
  repairs: number;
  /** Log-ins and users a reconcile found ended while this instance still held their sockets: revocations the stream lost. */
  revocationRepairs: number;
}

/**
 * One instance's membership in the cluster. Committed changes are delivered to local
 * subscribers at once and appended to the {@link EventStream}; changes heard from other
 * instances are read back from the database (the truth: an entry only names the session and
 * its version) and fed to the local subscribers, whose version filter drops anything not newer
 * than what they have. Every `reconcileMs`, and whenever the stream may have lost entries, every
 * session a local subscriber watches is read again in one query: a commit whose append failed
 * reaches the other instances within that period.
 */
export class Cluster implements SessionChangeListener, RevocationListener {
  readonly #counters: ClusterCounters = { reconciles: 0, reconciledSessions: 0, repairs: 0, revocationRepairs: 0 };
  readonly #lag = new LagHistogram();
  /**
   * The newest version of each session this instance committed, heard of or reconciled since the
   * last reconcile (which keeps only the watched ones): what tells a repair from a state the
   * subscribers already have, and spares them states they would drop.
   */
  #versions = new Map<string, number>();
  #peers: ClusterPeers | undefined;
  #timer: NodeJS.Timeout | undefined;
  #reconciling: Promise<void> | undefined;

  constructor(
    private readonly stream: EventStream,
    private readonly reconcileMs: number,
    private readonly logger: Logger,
  ) {}

  /** Joins: starts reading the stream (after which every committed change elsewhere is heard) and the reconcile loop. */
  async start(peers: ClusterPeers): Promise<void> {
    this.#peers = peers;
    await this.stream.start({ events: (batch) => this.#heard(batch), gap: (reason) => this.#gap(reason) });
    this.#timer = setInterval(() => void this.reconcile(), this.reconcileMs);
    this.#timer.unref();
  }

  /** A change committed here: local subscribers first, then the other instances. */
  sessionChanged(session: StudySession): void {
    this.#newer(session);
    this.#peers?.feed.sessionChanged(session);
    this.#publish({ type: 'session', sessionId: session.id, userId: session.userId, version: session.version });
  }

  /** A log-in revoked here: this instance's sockets are closed by the local hub; the others hear it here. */
  loginRevoked(familyId: string): void {
    this.#publish({ type: 'login', familyId });
  }

  userDisabled(userId: string): void {
    this.#publish({ type: 'user', userId });
  }

  userDeleted(userId: string): void {
    this.#publish({ type: 'userDeleted', userId });
  }

  /**
   * Reads every watched session from the database and feeds it to the subscribers, which drop
   * what they already have. One run at a time; a call during a run waits for it.
   */
  reconcile(): Promise<void> {
    if (!this.#reconciling) {
      // Assigned before the run can finish: a run that ends synchronously (nothing watched)
      // must not leave its settled promise behind as "running" for ever.
      const run = this.#reconcileOnce();
      this.#reconciling = run;
      void run.finally(() => {
        if (this.#reconciling === run) this.#reconciling = undefined;
      });
    }
    return this.#reconciling;
  }

  async #reconcileOnce(): Promise<void> {
    const peers = this.#peers;
    if (!peers) return;
    await this.#reconcileRevocations(peers);
    const watched = peers.feed.watched();
    if (watched.sessionIds.length === 0 && watched.userIds.length === 0) return void this.#versions.clear();
    this.#counters.reconciles++;
    try {
      const sessions = await peers.load(watched);
      const known = this.#versions;
      // Only the watched sessions are remembered from one reconcile to the next.
      this.#versions = new Map();
      for (const session of sessions) {
        this.#counters.reconciledSessions++;
        const had = known.get(session.id);
        // Newer than what the stream brought: the stream lost it (a sighting with no record is the first).
        if (had !== undefined && session.version > had) this.#counters.repairs++;
        this.#versions.set(session.id, Math.max(had ?? 0, session.version));
        if (had === undefined || session.version > had) peers.feed.sessionChanged(session);
      }
    } catch (err) {
      this.logger.warn({ err }, 'could not reconcile live subscribers with the database; will retry');
    }
  }

  /** Closes the sockets of log-ins and users that ended while the stream was not telling. */
  async #reconcileRevocations(peers: ClusterPeers): Promise<void> {
    const held = peers.revocations.held();
    if (held.userIds.length === 0) return;
    try {
      const ended = await peers.endedLogins(held);
      for (const familyId of ended.revokedFamilies) peers.revocations.loginRevoked(familyId);
      for (const userId of ended.disabledUsers) peers.revocations.userDisabled(userId);
      for (const userId of ended.deletedUsers) peers.revocations.userDeleted(userId);
      this.#counters.revocationRepairs += ended.revokedFamilies.length + ended.disabledUsers.length + ended.deletedUsers.length;
    } catch (err) {
      this.logger.warn({ err }, 'could not re-check the log-ins of live sockets; will retry');
    }
  }

  /**
   * Reads these sessions again and feeds them to the subscribers: for a POMODORO this
   * instance saw run out but another instance completed first.
   */
  async refresh(sessionIds: string[]): Promise<void> {
    if (!this.#peers) return;
    for (const session of await this.#peers.load({ sessionIds, userIds: [] })) this.#feed(session);
  }

  /** Whether Redis is up for appends, and the stream reader's state. */
  get readiness(): StreamReadiness {
    return this.stream.readiness;
  }

  get counters(): Readonly<ClusterCounters> {
    return { ...this.#counters };
  }

  /** The stream's own counters (entries published, failed, heard; gaps). */
  get streamCounters(): Readonly<EventStreamCounters> {
    return this.stream.counters;
  }

  /** Commit-to-delivery lag of the changes heard from the other instances. */
  get lag(): LagSnapshot {
    return this.#lag.snapshot();
  }

  /** Leaves: stops the reconcile loop and the stream. Idempotent. */
  async close(): Promise<void> {
    clearInterval(this.#timer);
    await this.stream.close();
    await this.#reconciling;
  }

  #publish(event: ClusterEvent): void {
    this.stream.publish(event);
  }

  /** Changes heard from the other instances: one database read for all the batch's watched sessions. */
  async #heard(batch: HeardEvent[]): Promise<void> {
    const peers = this.#peers!;
    const sessionIds: string[] = [];
    /** When the earliest entry of the batch for each session was published. */
    const published = new Map<string, number>();
    for (const event of batch) {
      if (event.type === 'session') {
        if (peers.feed.isWatched(event.sessionId, event.userId)) {
          sessionIds.push(event.sessionId);
          if (!published.has(event.sessionId)) published.set(event.sessionId, event.publishedAt);
        }
      } else if (event.type === 'login') peers.revocations.loginRevoked(event.familyId);
      else if (event.type === 'user') peers.revocations.userDisabled(event.userId);
      else if (event.type === 'userDeleted') peers.revocations.userDeleted(event.userId);
    }
    if (sessionIds.length === 0) return;
    try {
      for (const session of await peers.load({ sessionIds: [...new Set(sessionIds)], userIds: [] })) {
        this.#feed(session);
        const at = published.get(session.id);
        if (at !== undefined) this.#lag.observe(Date.now() - at);
      }
    } catch (err) {
      // The periodic reconcile reads them again.
      this.logger.warn({ err }, 'could not read sessions changed on another instance; the reconcile will');
    }
  }

  async #gap(reason: GapReason): Promise<void> {
    if (reason !== 'connected') this.logger.info({ reason }, 'cluster stream may have missed entries: reconciling');
    await this.reconcile();
  }

  /** Feeds a state read from the database, unless this instance has it already. */
  #feed(session: StudySession): void {
    if (this.#newer(session)) this.#peers!.feed.sessionChanged(session);
  }

  /** Records `session`'s version; true when it is newer than any recorded. */
  #newer(session: StudySession): boolean {
    const had = this.#versions.get(session.id);
    if (had !== undefined && session.version <= had) return false;
    this.#versions.set(session.id, session.version);
    return true;
  }
}
