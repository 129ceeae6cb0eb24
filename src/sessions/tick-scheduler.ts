import type { Clock } from '../clock.js';
import { nextTickAt, type TimerState } from './timer.js';
import { MinHeap } from '../realtime/min-heap.js';

/** A session the scheduler ticks, with the freshest stored state it has seen. */
interface Entry {
  readonly sessionId: string;
  timer: TimerState;
  version: number;
  refs: number;
}

/** What the scheduler calls when a session's tick is due. */
export type TickHandler = (sessionId: string, timer: TimerState, version: number, now: Date) => void;

/**
 * The one process-wide timer behind every ticking session. Sessions are registered (reference
 * counted: every subscriber of a session shares one registration) with their stored state;
 * each is due at the instant its displayed value changes (`nextTickAt`: its own phase), kept in
 * a min-heap, and a single `setTimeout` is armed for the earliest. Ten thousand sessions thus
 * cost one timer and spread their ticks across the interval instead of firing in one burst.
 *
 * With `batchMs`, the timer is armed for the end of the slot of `batchMs` (counted from the
 * epoch) the earliest due instant falls in, and every session due by then ticks at once: at
 * most `1000 / batchMs` wake-ups a second however many sessions tick, each tick at most
 * `batchMs` late. Waking the process costs more than a send: per session, the wake-ups made most
 * of a tick's CPU at a thousand subscribers (bench/README.md).
 */
export class TickScheduler {
  readonly #entries = new Map<string, Entry>();
  readonly #heap = new MinHeap<Entry>();
  #timer: NodeJS.Timeout | undefined;
  #armedFor = Infinity;
  #closed = false;

  constructor(
    private readonly clock: Clock,
    private readonly intervalMs: number,
    private readonly onTick: TickHandler,
    /** Slot width in ms (TICK_BATCH_MS); 0: each session's timer at its own instant. */
    private readonly batchMs = 0,
  ) {}

  /** Sessions currently registered. */
  get size(): number {
    return this.#entries.size;
  }

  /**
   * Registers interest in ticks of `sessionId`. Returns the release function (idempotent); the
   * session stops ticking when its last registration is released.
   */
  register(sessionId: string, timer: TimerState, version: number): () => void {
    let entry = this.#entries.get(sessionId);
    if (entry) {
      entry.refs++;
      this.update(sessionId, timer, version);
    } else {
      entry = { sessionId, timer, version, refs: 1 };
      this.#entries.set(sessionId, entry);
      this.#schedule(entry, this.clock.now());
    }
    const registered = entry;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      if (--registered.refs > 0) return;
      this.#entries.delete(sessionId);
      this.#heap.delete(registered);
    };
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
    this.#closed = true;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#entries.clear();
    while (this.#heap.pop());
  }

  #schedule(entry: Entry, now: Date): void {
    const due = nextTickAt(entry.timer, now, this.intervalMs);
    if (!due) this.#heap.delete(entry);
    // A due instant not after `now` means the handler is already settling it (a POMODORO
    // completing); look again one interval later rather than spinning.
    else this.#heap.set(entry, due.getTime() > now.getTime() ? due.getTime() : now.getTime() + this.intervalMs);
    this.#arm();
  }

  #arm(): void {
    if (this.#closed) return;
    const top = this.#heap.peek();
    if (!top) {
      clearTimeout(this.#timer);
      this.#timer = undefined;
      this.#armedFor = Infinity;
      return;
    }
    if (this.#timer && top.key >= this.#armedFor) return;
    clearTimeout(this.#timer);
    this.#armedFor = top.key;
    const at = this.batchMs > 0 ? Math.ceil(top.key / this.batchMs) * this.batchMs : top.key;
    const delay = Math.max(0, at - this.clock.now().getTime());
    this.#timer = setTimeout(() => this.#fire(), delay);
    this.#timer.unref();
  }

  #fire(): void {
    this.#timer = undefined;
    this.#armedFor = Infinity;
    const now = this.clock.now();
    const due: Entry[] = [];
    for (let top = this.#heap.peek(); top && top.key <= now.getTime(); top = this.#heap.peek()) {
      due.push(this.#heap.pop()!.value);
    }
    for (const entry of due) {
      if (this.#entries.get(entry.sessionId) !== entry) continue;
      this.onTick(entry.sessionId, entry.timer, entry.version, now);
      // Still registered (the handler may have released or updated it): schedule its next tick.
      if (this.#entries.get(entry.sessionId) === entry) this.#schedule(entry, now);
    }
    this.#arm();
  }
}
