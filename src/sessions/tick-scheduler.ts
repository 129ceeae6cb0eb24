import type { Clock } from '../clock.js';
import { nextTickAt, type TimerState } from './timer.js';
import { Deadlines } from '../realtime/deadlines.js';
import { addMember, hasMember, type Members, removeMember } from '../realtime/members.js';

/** A session the scheduler ticks, with the freshest stored state it has seen. */
interface Entry {
  readonly sessionId: string;
  timer: TimerState;
  version: number;
  /** Who registered it: it ticks until the last of them releases it. */
  holders: Members<object>;
  /** Still registered: false once its last holder released it (a flag, not a map lookup per tick). */
  registered: boolean;
}

/** What the scheduler calls when a session's tick is due. */
export type TickHandler = (sessionId: string, timer: TimerState, version: number, now: Date) => void;

/**
 * The one process-wide timer behind every ticking session. Sessions are registered (by holder:
 * every subscriber of a session shares one registration) with their stored state;
 * each is due at the instant its displayed value changes (`nextTickAt`: its own phase), and one
 * timer ({@link Deadlines}) is armed for the earliest. Ten thousand sessions thus cost one timer
 * and spread their ticks across the interval instead of firing in one burst.
 *
 * With `batchMs`, the timer is armed for the end of the slot of `batchMs` the earliest due
 * instant falls in, and every session due by then ticks at once: at most `1000 / batchMs`
 * wake-ups a second however many sessions tick, each tick at most `batchMs` late. Waking the
 * process costs more than a send: per session, the wake-ups made most of a tick's CPU at a
 * thousand subscribers (bench/README.md).
 */
export class TickScheduler {
  readonly #entries = new Map<string, Entry>();
  readonly #due: Deadlines<Entry>;

  constructor(
    private readonly clock: Clock,
    private readonly intervalMs: number,
    private readonly onTick: TickHandler,
    /** Slot width in ms (TICK_BATCH_MS); 0: each session's timer at its own instant. */
    batchMs = 0,
  ) {
    // A tick is due once the clock has reached it: a tick shows the clock's time.
    this.#due = new Deadlines(clock, (due, now) => this.#fire(due, now), { batchMs });
  }

  /** Sessions currently registered. */
  get size(): number {
    return this.#entries.size;
  }

  /**
   * Registers `holder`'s interest in ticks of `sessionId` (every holder of a session shares one
   * registration); the session stops ticking when its last holder {@link release}s it. The
   * holder is any object that stands for the interest (a subscription): a holder registering
   * again, or releasing twice, changes nothing, so one subscriber cannot drop another's ticks.
   */
  register(sessionId: string, timer: TimerState, version: number, holder: object): void {
    const entry = this.#entries.get(sessionId);
    if (entry) {
      entry.holders = addMember(entry.holders, holder);
      this.update(sessionId, timer, version);
    } else {
      const created: Entry = { sessionId, timer, version, holders: holder, registered: true };
      this.#entries.set(sessionId, created);
      this.#schedule(created, this.clock.now());
    }
  }

  /** Ends `holder`'s registration of `sessionId` (none: nothing changes). */
  release(sessionId: string, holder: object): void {
    const entry = this.#entries.get(sessionId);
    if (!entry || !hasMember(entry.holders, holder)) return;
    const left = removeMember(entry.holders, holder);
    if (left !== undefined) return void (entry.holders = left);
    entry.registered = false;
    this.#entries.delete(sessionId);
    this.#due.delete(entry);
  }

  /** Replaces the stored state of a registered session (older versions are ignored). */
  update(sessionId: string, timer: TimerState, version: number): void {
    const entry = this.#entries.get(sessionId);
    if (!entry || version < entry.version) return;
    entry.timer = timer;
    entry.version = version;
    this.#schedule(entry, this.clock.now());
  }

  /** Stops the timer and forgets every registration. */
  close(): void {
    for (const entry of this.#entries.values()) entry.registered = false;
    this.#entries.clear();
    this.#due.close();
  }

  #schedule(entry: Entry, now: Date): void {
    const due = nextTickAt(entry.timer, now, this.intervalMs);
    if (!due) this.#due.delete(entry);
    // A due instant not after `now` means the handler is already settling it (a POMODORO
    // completing); look again one interval later rather than spinning.
    else this.#due.set(entry, due.getTime() > now.getTime() ? due.getTime() : now.getTime() + this.intervalMs);
  }

  #fire(due: Entry[], now: Date): void {
    for (const entry of due) {
      if (!entry.registered) continue;
      this.onTick(entry.sessionId, entry.timer, entry.version, now);
      // Still registered (the handler may have released or updated it): schedule its next tick.
      if (entry.registered) this.#schedule(entry, now);
    }
  }
}
