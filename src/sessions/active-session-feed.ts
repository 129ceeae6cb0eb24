import { Channel } from '../realtime/channel.js';
import { type StudySession, viewSession } from './session.model.js';
import type { TimerUpdate } from './timer-feed.js';
import { isFinished, type TimerState } from './timer.js';

/** One message of the `activeSessionUpdated` subscription. */
export interface ActiveSessionUpdate {
  /**
   * The student's RUNNING or PAUSED session; in the update reporting a stop or a completion,
   * that session in its final state; null when there is none.
   */
  session: StudySession | null;
  serverTime: Date;
}

/**
 * How the feed ticks a running session: registers it with the process's one scheduler and
 * hands each of its ticks to `onTick`; the returned function releases both.
 */
export type FollowTicks = (sessionId: string, timer: TimerState, version: number, onTick: (tick: TimerUpdate) => void) => () => void;

/**
 * Orders two states of one student's sessions: a student has at most one unfinished session
 * at a time and starts them one after another, so a later start is a later session, and within
 * a session the row version orders its states. Of two started in the same millisecond, the
 * unfinished one is newer (it could only start once the other had ended). Positive when `a` is
 * newer than `b`.
 */
export function compareStates(a: StudySession, b: StudySession): number {
  if (a.id === b.id) return a.version - b.version;
  const unfinished = (s: StudySession) => (isFinished(s.status) ? 0 : 1);
  return a.startedAt.getTime() - b.startedAt.getTime() || unfinished(a) - unfinished(b) || (a.id < b.id ? -1 : 1);
}

/** The watchers of one student and the state they share. */
class ViewerFeed {
  readonly channels = new Set<Channel<ActiveSessionUpdate>>();
  /** The newest state seen (active or just finished); undefined until the first load. */
  latest: StudySession | null | undefined;
  /** Changes heard while the first watcher's load was in flight. */
  early: StudySession[] | undefined = [];
  #followed: { sessionId: string; version: number; release: () => void } | undefined;

  constructor(
    readonly userId: string,
    private readonly followTicks: FollowTicks,
  ) {}

  /** Takes a committed change; returns the update to send, or undefined when it is not newer. */
  change(session: StudySession): ActiveSessionUpdate | undefined {
    if (this.early) return void this.early.push(session);
    if (this.latest && compareStates(session, this.latest) <= 0) return undefined;
    return this.#become(session, session.observedAt);
  }

  /** Settles the first state from the load and what arrived meanwhile; returns the first message. */
  loaded(active: StudySession | null, now: Date): ActiveSessionUpdate {
    const candidates = [...(active ? [active] : []), ...(this.early ?? [])];
    this.early = undefined;
    const newest = candidates.reduce<StudySession | null>((a, b) => (a === null || compareStates(b, a) > 0 ? b : a), null);
    // The first message is the current state: a session that has finished is not current.
    const current = newest && !isFinished(newest.status) ? viewSession(newest, now) : null;
    return this.#become(current, now, newest);
  }

  release(): void {
    this.#followed?.release();
    this.#followed = undefined;
  }

  #become(session: StudySession | null, now: Date, latest: StudySession | null = session): ActiveSessionUpdate {
    this.latest = latest;
    if (session?.status === 'RUNNING') {
      if (this.#followed?.sessionId !== session.id || this.#followed.version !== session.version) {
        this.release();
        const release = this.followTicks(session.id, session.timer, session.version, (tick) => this.#tick(tick));
        this.#followed = { sessionId: session.id, version: session.version, release };
      }
    } else this.release();
    return { session, serverTime: now };
  }

  #tick(tick: TimerUpdate): void {
    const latest = this.latest;
    // The scheduler ticks the freshest state it has; a tick of an older state is not ours.
    if (!latest || latest.id !== tick.sessionId || latest.version !== tick.version || tick.status !== 'RUNNING') return;
    const update: ActiveSessionUpdate = { session: viewSession({ ...latest, timer: tick.timer }, tick.serverTime), serverTime: tick.serverTime };
    for (const channel of this.channels) channel.push(update);
  }
}

/**
 * The live state of each student's active session across their devices (`activeSessionUpdated`):
 * the current state first, then every committed change of any of the student's sessions (from
 * any transport or device) and the ticks of the running one. Watchers of one student share one
 * state and one tick registration, and each event is one object for all of them, so a frame is
 * serialised once per distinct document (see `ws/framed-subscriptions.ts`).
 */
export class ActiveSessionFeed {
  readonly #viewers = new Map<string, ViewerFeed>();

  constructor(private readonly followTicks: FollowTicks) {}

  /** A committed change of one of a student's sessions (called by the timer feed). */
  sessionChanged(session: StudySession): void {
    const viewer = this.#viewers.get(session.userId);
    const update = viewer?.change(session);
    if (update) for (const channel of viewer!.channels) channel.push(update);
  }

  /**
   * The updates for `userId`: the current state once `load` (the student's active session)
   * resolves, then changes and ticks. Listens before loading so that no change committed in
   * between is missed. Everything is released by the iterator's `return()` or {@link close}.
   */
  async watch(userId: string, load: () => Promise<StudySession | null>, now: () => Date): Promise<AsyncIterableIterator<ActiveSessionUpdate>> {
    let viewer = this.#viewers.get(userId);
    if (!viewer) this.#viewers.set(userId, (viewer = new ViewerFeed(userId, this.followTicks)));
    const shared = viewer;
    const channel: Channel<ActiveSessionUpdate> = new Channel(() => {
      shared.channels.delete(channel);
      if (shared.channels.size > 0) return;
      shared.release();
      if (this.#viewers.get(userId) === shared) this.#viewers.delete(userId);
    });
    shared.channels.add(channel);
    try {
      if (shared.latest === undefined) {
        const active = await load();
        // Another watcher's load may have settled the state meanwhile; theirs is as good.
        if (shared.latest === undefined && !channel.closed) {
          channel.push(shared.loaded(active, now()));
          return channel;
        }
      }
    } catch (err) {
      await channel.return();
      throw err;
    }
    const latest = shared.latest ?? null;
    const current = latest && !isFinished(latest.status) ? viewSession(latest, now()) : null;
    channel.push({ session: current, serverTime: now() });
    return channel;
  }

  /** The students watched, and the session each was last sent (to reconcile a stop heard of late). */
  watched(): { sessionIds: string[]; userIds: string[] } {
    const sessionIds: string[] = [];
    for (const viewer of this.#viewers.values()) if (viewer.latest) sessionIds.push(viewer.latest.id);
    return { sessionIds, userIds: [...this.#viewers.keys()] };
  }

  isWatched(userId: string): boolean {
    return this.#viewers.has(userId);
  }

  /** Ends every subscription (server shutdown). */
  close(): void {
    for (const viewer of [...this.#viewers.values()]) for (const channel of [...viewer.channels]) channel.end();
  }

  /** Subscriptions in progress, across students. */
  get subscriptions(): number {
    let n = 0;
    for (const viewer of this.#viewers.values()) n += viewer.channels.size;
    return n;
  }
}
