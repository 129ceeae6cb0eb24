import type { Clock } from '../clock.js';
import type { Logger } from '../logger.js';
import { Channel } from '../realtime/channel.js';
import { type Listener, PubSub } from '../realtime/pubsub.js';
import type { StudySession } from './session.model.js';
import type { SessionChangeListener } from './session.service.js';
import type { SessionStatusValue } from './session.table.js';
import { TickScheduler } from './tick-scheduler.js';
import { ActiveSessionFeed, type ActiveSessionUpdate } from './active-session-feed.js';
import { elapsedSeconds, isFinished, remainingSeconds, settle, type TimerState } from './timer.js';

/** One message of the `timerUpdated` subscription. */
export interface TimerUpdate {
  sessionId: string;
  status: SessionStatusValue;
  elapsedSeconds: number;
  remainingSeconds: number | null;
  serverTime: Date;
  /** Stored state and row version the values were computed from (not in the GraphQL type). */
  timer: TimerState;
  version: number;
  /** A scheduler tick (the same version as the state before it), not a change. */
  tick: boolean;
}

function timerUpdate(sessionId: string, timer: TimerState, version: number, now: Date, tick = false): TimerUpdate {
  return {
    tick,
    sessionId,
    status: timer.status,
    elapsedSeconds: elapsedSeconds(timer, now),
    remainingSeconds: remainingSeconds(timer, now),
    serverTime: now,
    timer,
    version,
  };
}

function fromSession(session: StudySession): TimerUpdate {
  return timerUpdate(session.id, session.timer, session.version, session.observedAt);
}

/** Live counts, for tests and the shutdown log: all return to zero when clients are gone. */
export interface TimerFeedStats {
  /** `timerUpdated` and `activeSessionUpdated` subscriptions. */
  activeSubscriptions: number;
  tickerRegistrations: number;
  pubsubListeners: number;
}

/**
 * The live timer: turns committed session changes and scheduler ticks into `TimerUpdate`s on
 * an in-process pubsub, one topic per session, each payload built once per session and tick
 * and shared by all of that session's subscribers. The students' live active-session state
 * (`activeSessionUpdated`, {@link ActiveSessionFeed}) hears the same changes and ticks from the
 * same scheduler, so each change reaches both from the one place that hears it.
 */
export class TimerFeed implements SessionChangeListener {
  readonly #pubsub: PubSub<TimerUpdate>;
  /** Ticks only (no changes), by session: what the active-session feed follows. */
  readonly #ticks: PubSub<TimerUpdate>;
  readonly #scheduler: TickScheduler;
  readonly #active: ActiveSessionFeed;
  readonly #channels = new Set<Channel<TimerUpdate>>();
  /** What every {@link SessionWatch} works with. */
  readonly #watches: WatchDeps;
  readonly #completing = new Set<string>();
  #ticksDelivered = 0;

  /**
   * @param ticks TICK_INTERVAL_MS and TICK_BATCH_MS (see {@link TickScheduler}).
   * @param completeSession persists the completion of an expired POMODORO; the service then
   *   reports the final state back through {@link sessionChanged}.
   */
  constructor(
    private readonly clock: Clock,
    ticks: { intervalMs: number; batchMs: number },
    private readonly completeSession: (sessionId: string, now: Date) => Promise<unknown>,
    private readonly logger: Logger,
  ) {
    const onListenerError = (err: unknown) => logger.error({ err }, 'timer listener failed');
    this.#pubsub = new PubSub(onListenerError);
    this.#ticks = new PubSub(onListenerError);
    this.#scheduler = new TickScheduler(clock, ticks.intervalMs, (id, timer, version, now) => this.#tick(id, timer, version, now), ticks.batchMs);
    this.#active = new ActiveSessionFeed((sessionId, timer, version, onTick) => {
      const follower: Listener<TimerUpdate> = { receive: onTick };
      this.#ticks.subscribe(sessionId, follower);
      this.#scheduler.register(sessionId, timer, version, follower);
      return () => (this.#ticks.unsubscribe(sessionId, follower), this.#scheduler.release(sessionId, follower));
    });
    this.#watches = { pubsub: this.#pubsub, scheduler: this.#scheduler, channels: this.#channels };
  }

  /** Called by the session service after every committed change, whichever transport caused it. */
  sessionChanged(session: StudySession): void {
    this.#scheduler.update(session.id, session.timer, session.version);
    this.#pubsub.publish(session.id, fromSession(session));
    this.#active.sessionChanged(session);
  }

  /**
   * The live state of a student's active session (`activeSessionUpdated`): the current state
   * once `load` (the student's active session, or null) resolves, then every change of any of
   * their sessions and the ticks of the running one. Released like {@link watch}.
   */
  watchActive(userId: string, load: () => Promise<StudySession | null>): Promise<AsyncIterableIterator<ActiveSessionUpdate>> {
    return this.#active.watch(userId, load, () => this.clock.now());
  }

  /**
   * The updates of one session: its current state at once, then ticks while it runs and every
   * change; ends after the final state of a finished session. `load` reads the session (and
   * checks ownership, throwing NOT_FOUND); nothing is held if it throws. Everything held is
   * released by the iterator's `return()` or by {@link close}.
   */
  async watch(sessionId: string, load: () => Promise<StudySession>): Promise<AsyncIterableIterator<TimerUpdate>> {
    // Listen before loading so that no change committed in between is missed; the version
    // tells whether what arrived meanwhile is newer than what was loaded.
    const watch = new SessionWatch(this.#watches, sessionId);
    this.#pubsub.subscribe(sessionId, watch);
    let session: StudySession;
    try {
      session = await load();
    } catch (err) {
      await watch.return();
      throw err;
    }
    watch.loaded(fromSession(session));
    return watch;
  }

  /**
   * What this instance's subscribers watch: the sessions of `timerUpdated` and the last-known
   * sessions of `activeSessionUpdated`, and the students of the latter (a session they start
   * elsewhere is theirs to hear of).
   */
  watched(): { sessionIds: string[]; userIds: string[] } {
    const active = this.#active.watched();
    return { sessionIds: [...new Set([...this.#pubsub.topics(), ...active.sessionIds])], userIds: active.userIds };
  }

  /** Whether a change of this session, or of a session of this student, has a local subscriber. */
  isWatched(sessionId: string, userId: string): boolean {
    return this.#pubsub.hasListeners(sessionId) || this.#active.isWatched(userId);
  }

  /** Ends every subscription and stops the scheduler (server shutdown). */
  close(): void {
    for (const ch of [...this.#channels]) ch.end();
    this.#active.close();
    this.#scheduler.close();
  }

  get stats(): TimerFeedStats {
    return {
      activeSubscriptions: this.#channels.size + this.#active.subscriptions,
      tickerRegistrations: this.#scheduler.size,
      pubsubListeners: this.#pubsub.listenerCount + this.#ticks.listenerCount,
    };
  }

  /**
   * Ticks handed to subscribers since start-up, one per subscriber and tick (the first message
   * of a subscription and the messages of session changes are not ticks). Only grows.
   */
  get ticksDelivered(): number {
    return this.#ticksDelivered;
  }

  #tick(sessionId: string, timer: TimerState, version: number, now: Date): void {
    if (settle(timer, now) !== timer) {
      // A POMODORO's or BREAK's plan ran out: persist COMPLETED; the final state arrives via sessionChanged.
      if (this.#completing.has(sessionId)) return;
      this.#completing.add(sessionId);
      this.completeSession(sessionId, now)
        .catch((err: unknown) => this.logger.warn({ err, sessionId }, 'could not complete session; will retry'))
        .finally(() => this.#completing.delete(sessionId));
      return;
    }
    const update = timerUpdate(sessionId, timer, version, now, true);
    this.#ticksDelivered += this.#pubsub.publish(sessionId, update);
    this.#ticks.publish(sessionId, update);
  }
}

/** What a {@link SessionWatch} subscribes to, registers with and is counted in. */
interface WatchDeps {
  pubsub: PubSub<TimerUpdate>;
  scheduler: TickScheduler;
  channels: Set<Channel<TimerUpdate>>;
}

/**
 * One `timerUpdated` subscription: the channel its frames are read from, and the listener of
 * its session's topic. One object, with the changes heard before its load in an array only
 * when there are any: closures per subscriber (listener, release) cost a few hundred bytes each.
 */
class SessionWatch extends Channel<TimerUpdate> implements Listener<TimerUpdate> {
  /** Until the load's state is known: what arrived meanwhile (undefined while nothing did). */
  #early: TimerUpdate[] | undefined;
  #ready = false;
  /** The version of the last update handed on. */
  #latest = 0;
  #registered = false;

  constructor(
    private readonly deps: WatchDeps,
    readonly sessionId: string,
  ) {
    super();
  }

  /** The session's topic (Listener). */
  receive(update: TimerUpdate): void {
    if (!this.#ready) return void (this.#early ??= []).push(update);
    // A change must be newer than what the subscriber has (an echo or a reconcile of the same
    // version is not a new frame); a tick is of the version it has.
    if (update.version < this.#latest || (update.version === this.#latest && !update.tick)) return;
    this.#latest = update.version;
    this.push(update);
    if (isFinished(update.status)) this.end();
  }

  /** The load's state: the first frame is the freshest of it and what arrived meanwhile; ticks start from it. */
  loaded(loaded: TimerUpdate): void {
    this.deps.channels.add(this);
    this.#ready = true;
    const freshest = (this.#early ?? []).reduce((a, b) => (b.version > a.version ? b : a), loaded);
    this.#early = undefined;
    this.receive(freshest);
    if (this.closed) return;
    this.deps.scheduler.register(this.sessionId, freshest.timer, freshest.version, this);
    this.#registered = true;
  }

  protected override released(): void {
    this.deps.pubsub.unsubscribe(this.sessionId, this);
    if (this.#registered) this.deps.scheduler.release(this.sessionId, this);
    this.deps.channels.delete(this);
  }
}
