import { jest } from '@jest/globals';
import type { Clock } from '../src/clock.js';
import { Channel } from '../src/realtime/channel.js';
import { MinHeap } from '../src/realtime/min-heap.js';
import { type Listener, PubSub } from '../src/realtime/pubsub.js';
import { TickScheduler } from '../src/sessions/tick-scheduler.js';
import type { TimerState } from '../src/sessions/timer.js';

// Unit tests of the pieces behind `timerUpdated`: no network, no database. The scheduler runs
// on jest's fake timers, which also move `Date`, so a clock reading `new Date()` advances in
// lockstep with the timers and every tick instant is exact.

const T0 = Date.parse('2026-01-05T09:00:00.000Z');
const INTERVAL = 200;
/** Reads the faked `Date`, so it moves exactly with `jest.advanceTimersByTime`. */
const fakeClock: Clock = { now: () => new Date() };

/** A FREE session running since `T0 + startMs` with `accumulatedMs` banked before. */
function running(startMs: number, accumulatedMs = 0): TimerState {
  return {
    type: 'FREE',
    status: 'RUNNING',
    focusSeconds: null,
    accumulatedMs,
    runStartedAt: new Date(T0 + startMs),
    endedAt: null,
    pausedReason: null,
  };
}

function paused(accumulatedMs: number): TimerState {
  return { ...running(0, accumulatedMs), status: 'PAUSED', runStartedAt: null, pausedReason: 'USER' };
}

/**
 * Registers a new holder of `sessionId` with `scheduler`; returns that holder's release (which
 * the test may call twice, as a careless subscriber could).
 */
function register(scheduler: TickScheduler, sessionId: string, timer: TimerState, version: number): () => void {
  const holder = {};
  scheduler.register(sessionId, timer, version, holder);
  return () => scheduler.release(sessionId, holder);
}

/** What the scheduler handed to its tick handler, as milliseconds after T0. */
interface Tick {
  sessionId: string;
  at: number;
  version: number;
}

describe('TickScheduler', () => {
  let ticks: Tick[];
  let scheduler: TickScheduler;

  beforeEach(() => {
    jest.useFakeTimers({ now: T0 });
    ticks = [];
    scheduler = new TickScheduler(fakeClock, INTERVAL, (sessionId, _timer, version, now) =>
      ticks.push({ sessionId, at: now.getTime() - T0, version }),
    );
  });
  afterEach(() => {
    scheduler.close();
    jest.useRealTimers();
  });

  const ticksOf = (sessionId: string): number[] => ticks.filter((t) => t.sessionId === sessionId).map((t) => t.at);

  describe('registration', () => {
    it('counts two registrations of one session as one entry and one timer', () => {
      register(scheduler, 'a', running(0), 1);
      register(scheduler, 'a', running(0), 1);
      expect(scheduler.size).toBe(1);
      expect(jest.getTimerCount()).toBe(1);
      jest.advanceTimersByTime(INTERVAL);
      expect(ticksOf('a')).toEqual([INTERVAL]);
    });

    it('keeps ticking until the last registration is released', () => {
      const first = register(scheduler, 'a', running(0), 1);
      const second = register(scheduler, 'a', running(0), 1);
      first();
      expect(scheduler.size).toBe(1);
      jest.advanceTimersByTime(2 * INTERVAL);
      expect(ticksOf('a')).toEqual([200, 400]);
      second();
      expect(scheduler.size).toBe(0);
      jest.advanceTimersByTime(5 * INTERVAL);
      expect(ticksOf('a')).toEqual([200, 400]);
      // The armed timer found nothing due and was not re-armed.
      expect(jest.getTimerCount()).toBe(0);
    });

    it('ignores a release called twice, so it cannot drop another subscriber\'s registration', () => {
      const first = register(scheduler, 'a', running(0), 1);
      const second = register(scheduler, 'a', running(0), 1);
      first();
      first();
      expect(scheduler.size).toBe(1);
      jest.advanceTimersByTime(INTERVAL);
      expect(ticksOf('a')).toEqual([200]);
      second();
      second();
      expect(scheduler.size).toBe(0);
    });

    it('counts one holder registering a session twice as one registration', () => {
      const holder = {};
      scheduler.register('a', running(0), 1, holder);
      scheduler.register('a', running(0), 1, holder);
      scheduler.release('a', holder);
      expect(scheduler.size).toBe(0);
      // A holder that never registered releases nothing.
      register(scheduler, 'a', running(0), 1);
      scheduler.release('a', holder);
      expect(scheduler.size).toBe(1);
    });

    it('registers afresh after every registration of a session was released', () => {
      register(scheduler, 'a', running(0), 1)();
      register(scheduler, 'a', running(0), 1);
      expect(scheduler.size).toBe(1);
      jest.advanceTimersByTime(INTERVAL);
      expect(ticksOf('a')).toEqual([200]);
    });

    it('passes the freshest version it was given and ignores older ones', () => {
      register(scheduler, 'a', running(0), 3);
      scheduler.update('a', paused(0), 2);
      jest.advanceTimersByTime(INTERVAL);
      expect(ticks).toEqual([{ sessionId: 'a', at: 200, version: 3 }]);
    });

    it('ignores updates of sessions nobody registered', () => {
      scheduler.update('ghost', running(0), 1);
      expect(scheduler.size).toBe(0);
      jest.advanceTimersByTime(5 * INTERVAL);
      expect(ticks).toEqual([]);
      expect(jest.getTimerCount()).toBe(0);
    });
  });

  describe('phase', () => {
    it('ticks each session on its own phase, set by when it started', () => {
      register(scheduler, 'a', running(0), 1);
      jest.advanceTimersByTime(70);
      register(scheduler, 'b', running(70), 1);
      jest.advanceTimersByTime(1000 - 70);
      expect(ticksOf('a')).toEqual([200, 400, 600, 800, 1000]);
      expect(ticksOf('b')).toEqual([270, 470, 670, 870]);
      // Ten sessions or two: one timer, armed for the earliest.
      expect(jest.getTimerCount()).toBe(1);
    });

    it('keeps the phase of a session registered in the middle of an interval', () => {
      jest.advanceTimersByTime(130);
      register(scheduler, 'a', running(0), 1);
      jest.advanceTimersByTime(600);
      expect(ticksOf('a')).toEqual([200, 400, 600]);
    });

    it('counts banked time into the phase of a resumed session', () => {
      // 50 ms banked before a resume at +1000: the display changes at 1000 + 150, + 350, ...
      jest.advanceTimersByTime(1000);
      register(scheduler, 'a', running(1000, 50), 1);
      jest.advanceTimersByTime(600);
      expect(ticksOf('a')).toEqual([1150, 1350, 1550]);
    });

    it('does not drift when a tick fires late', () => {
      register(scheduler, 'a', running(0), 1);
      // The event loop was blocked for 290 ms: the tick due at 200 runs at 490.
      jest.setSystemTime(T0 + 290);
      jest.advanceTimersByTime(200);
      // The next tick is at the next boundary (600), not 490 + 200.
      expect(ticksOf('a')).toEqual([490]);
      jest.advanceTimersByTime(110);
      expect(ticksOf('a')).toEqual([490, 600]);
    });
  });

  describe('state changes', () => {
    it('stops ticking a session that is paused and resumes on its new phase', () => {
      register(scheduler, 'a', running(0), 1);
      jest.advanceTimersByTime(450);
      expect(ticksOf('a')).toEqual([200, 400]);
      scheduler.update('a', paused(450), 2);
      jest.advanceTimersByTime(2000);
      expect(ticksOf('a')).toEqual([200, 400]);
      expect(scheduler.size).toBe(1);
      // Resumed at 2450 with 450 ms banked: boundaries at elapsed 600, 800 → 2600, 2800.
      scheduler.update('a', running(2450, 450), 3);
      jest.advanceTimersByTime(400);
      expect(ticks.filter((t) => t.version === 3).map((t) => t.at)).toEqual([2600, 2800]);
    });

    it('ticks at the completion instant when it comes before the next boundary', () => {
      // 1 s of focus, 300 ms ticks: boundaries at 300, 600, 900, 1200; completion at 1000.
      const timers = new TickScheduler(fakeClock, 300, (sessionId, _timer, _v, now) =>
        ticks.push({ sessionId, at: now.getTime() - T0, version: 1 }),
      );
      try {
        register(timers, 'p', { ...running(0), type: 'POMODORO', focusSeconds: 1 }, 1);
        jest.advanceTimersByTime(1000);
        expect(ticksOf('p')).toEqual([300, 600, 900, 1000]);
        // Nobody settled it: the scheduler looks again one interval later instead of spinning.
        jest.advanceTimersByTime(600);
        expect(ticksOf('p')).toEqual([300, 600, 900, 1000, 1300, 1600]);
      } finally {
        timers.close();
      }
    });

    it('stops ticking a session its handler released during the tick', () => {
      let release = () => {};
      const timers = new TickScheduler(fakeClock, INTERVAL, (sessionId, _timer, _v, now) => {
        ticks.push({ sessionId, at: now.getTime() - T0, version: 1 });
        release();
      });
      try {
        release = register(timers, 'a', running(0), 1);
        jest.advanceTimersByTime(1000);
        expect(ticksOf('a')).toEqual([200]);
        expect(timers.size).toBe(0);
      } finally {
        timers.close();
      }
    });
  });

  describe('close', () => {
    it('stops the timer and forgets every registration', () => {
      register(scheduler, 'a', running(0), 1);
      jest.advanceTimersByTime(70);
      register(scheduler, 'b', running(70), 1);
      jest.advanceTimersByTime(180);
      expect(ticks).toHaveLength(1);
      scheduler.close();
      expect(scheduler.size).toBe(0);
      expect(jest.getTimerCount()).toBe(0);
      jest.advanceTimersByTime(5000);
      expect(ticks).toHaveLength(1);
    });
  });
});

describe('MinHeap', () => {
  /** A seeded generator (mulberry32), so a failure reproduces. */
  function random(seed: number): () => number {
    return () => {
      seed = (seed + 0x6d2b79f5) | 0;
      let x = Math.imul(seed ^ (seed >>> 15), 1 | seed);
      x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
      return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
    };
  }

  it('pops in key order after random inserts, moves and deletes, like a sorted array', () => {
    for (const seed of [1, 2, 3, 42, 2026]) {
      const rand = random(seed);
      const heap = new MinHeap<string>();
      const model = new Map<string, number>();
      const modelMin = () => (model.size ? Math.min(...model.values()) : undefined);
      // Mismatches are collected rather than asserted step by step (10 000 expects are slow).
      const mismatches: string[] = [];
      for (let step = 0; step < 2000; step++) {
        const id = `v${Math.floor(rand() * 300)}`;
        const roll = rand();
        if (roll < 0.55) {
          // Insert, or move an existing value up or down; keys repeat often.
          const key = Math.floor(rand() * 500);
          heap.set(id, key);
          model.set(id, key);
        } else if (roll < 0.8) {
          heap.delete(id);
          model.delete(id);
        } else {
          const min = modelMin();
          const top = heap.pop();
          if (top?.key !== min || (top && model.get(top.value) !== min)) {
            mismatches.push(`seed ${seed} step ${step}: popped ${JSON.stringify(top)}, expected key ${min}`);
          }
          if (top) model.delete(top.value);
        }
        if (heap.size !== model.size || heap.peek()?.key !== modelMin()) {
          mismatches.push(`seed ${seed} step ${step}: size ${heap.size}/${model.size}, min ${heap.peek()?.key}/${modelMin()}`);
        }
      }
      expect(mismatches).toEqual([]);
      const drained: number[] = [];
      for (let top = heap.pop(); top; top = heap.pop()) drained.push(top.key);
      expect(drained).toEqual([...model.values()].sort((a, b) => a - b));
    }
  });

  it('ignores the deletion of a value it does not hold', () => {
    const heap = new MinHeap<string>();
    heap.set('a', 2);
    heap.delete('b');
    heap.delete('a');
    heap.delete('a');
    expect(heap.size).toBe(0);
    expect(heap.pop()).toBeUndefined();
  });
});

describe('PubSub', () => {
  /** A listener that records what it receives under `name`, or does `onReceive`. */
  const listener = <T>(got: string[], name: string, onReceive?: (payload: T) => void): Listener<T> => ({
    receive: onReceive ?? ((payload: T) => void got.push(`${name} ${String(payload)}`)),
  });

  it('counts listeners across topics, a listener subscribed twice to a topic once, and removes each once', () => {
    const pubsub = new PubSub<number>();
    const got: string[] = [];
    const first = listener<number>(got, 'first');
    const second = listener<number>(got, 'second');
    pubsub.subscribe('a', first);
    pubsub.subscribe('a', first);
    pubsub.subscribe('a', second);
    pubsub.subscribe('b', first);
    expect(pubsub.listenerCount).toBe(3);
    pubsub.publish('a', 1);
    expect(got).toEqual(['first 1', 'second 1']);
    pubsub.unsubscribe('a', first);
    pubsub.unsubscribe('a', first);
    expect(pubsub.listenerCount).toBe(2);
    pubsub.publish('a', 2);
    expect(got).toEqual(['first 1', 'second 1', 'second 2']);
    // Back to one listener, then none: the topic goes.
    pubsub.subscribe('a', first);
    pubsub.unsubscribe('a', second);
    pubsub.publish('a', 3);
    expect(got).toEqual(['first 1', 'second 1', 'second 2', 'first 3']);
    pubsub.unsubscribe('a', first);
    expect(pubsub.hasListeners('a')).toBe(false);
    expect(pubsub.hasListeners('b')).toBe(true);
    // Not subscribed to that topic: nothing changes.
    pubsub.unsubscribe('b', second);
    expect(pubsub.listenerCount).toBe(1);
    pubsub.unsubscribe('b', first);
    expect(pubsub.listenerCount).toBe(0);
    expect(pubsub.hasListeners('b')).toBe(false);
    expect([...pubsub.topics()]).toEqual([]);
  });

  it('delivers a topic only to its own listeners', () => {
    const pubsub = new PubSub<string>();
    const got: string[] = [];
    pubsub.subscribe('a', listener(got, 'a'));
    pubsub.subscribe('b', listener(got, 'b'));
    pubsub.publish('a', 'for a');
    expect(pubsub.publish('nobody', 'lost')).toBe(0);
    expect(got).toEqual(['a for a']);
  });

  it('reports a throwing listener and still delivers to the others', () => {
    const failures: unknown[] = [];
    const pubsub = new PubSub<number>((err) => failures.push(err));
    const got: string[] = [];
    const boom = new Error('listener failed');
    pubsub.subscribe('a', listener(got, 'first'));
    pubsub.subscribe(
      'a',
      listener(got, 'second', () => {
        throw boom;
      }),
    );
    pubsub.subscribe('a', listener(got, 'third'));
    expect(pubsub.publish('a', 7)).toBe(2);
    expect(got).toEqual(['first 7', 'third 7']);
    expect(failures).toEqual([boom]);
  });

  it('lets a listener unsubscribe another during delivery without skipping the rest', () => {
    const pubsub = new PubSub<number>();
    const got: string[] = [];
    const second = listener<number>(got, 'second');
    pubsub.subscribe(
      'a',
      listener<number>(got, 'first', (n) => {
        got.push(`first ${n}`);
        pubsub.unsubscribe('a', second);
      }),
    );
    pubsub.subscribe('a', second);
    pubsub.subscribe('a', listener(got, 'third'));
    pubsub.publish('a', 1);
    // The payload goes to everyone subscribed when it was published.
    expect(got).toEqual(['first 1', 'second 1', 'third 1']);
    pubsub.publish('a', 2);
    expect(got).toEqual(['first 1', 'second 1', 'third 1', 'first 2', 'third 2']);
    expect(pubsub.listenerCount).toBe(2);
  });
});

describe('Channel', () => {
  /** A channel and how many times its onClose ran. */
  function channel(maxBuffered?: number) {
    const state = { closes: 0 };
    const ch = new Channel<number>(() => state.closes++, maxBuffered);
    return { ch, state };
  }

  it('settles a pending next() at once on return() and runs onClose exactly once', async () => {
    const { ch, state } = channel();
    const pending = ch.next();
    await expect(ch.return()).resolves.toEqual({ value: undefined, done: true });
    await expect(pending).resolves.toEqual({ value: undefined, done: true });
    expect(state.closes).toBe(1);
    await ch.return();
    ch.end();
    ch.push(1);
    expect(state.closes).toBe(1);
    await expect(ch.next()).resolves.toEqual({ value: undefined, done: true });
  });

  it('drops what was buffered on return()', async () => {
    const { ch } = channel();
    ch.push(1);
    ch.push(2);
    await ch.return();
    await expect(ch.next()).resolves.toEqual({ value: undefined, done: true });
  });

  it('hands a pushed value to a waiting reader', async () => {
    const { ch } = channel();
    const pending = ch.next();
    ch.push(5);
    await expect(pending).resolves.toEqual({ value: 5, done: false });
  });

  it('delivers buffered values after end(), then done, releasing at end()', async () => {
    const { ch, state } = channel();
    ch.push(1);
    ch.push(2);
    ch.end();
    expect(state.closes).toBe(1);
    expect(ch.closed).toBe(true);
    ch.push(3);
    const read: number[] = [];
    for await (const v of ch) read.push(v);
    expect(read).toEqual([1, 2]);
    await expect(ch.next()).resolves.toEqual({ value: undefined, done: true });
    await ch.return();
    expect(state.closes).toBe(1);
  });

  it('finishes a waiting reader on end() with nothing buffered', async () => {
    const { ch, state } = channel();
    const pending = ch.next();
    ch.end();
    await expect(pending).resolves.toEqual({ value: undefined, done: true });
    expect(state.closes).toBe(1);
  });

  it('drops the oldest values beyond the buffer cap and ends on the latest', async () => {
    const { ch } = channel(3);
    for (let i = 1; i <= 5; i++) ch.push(i);
    ch.end();
    const read: number[] = [];
    for await (const v of ch) read.push(v);
    expect(read).toEqual([3, 4, 5]);
  });

  it('rejects throw() with the error and closes', async () => {
    const { ch, state } = channel();
    const pending = ch.next();
    const err = new Error('stop');
    await expect(ch.throw(err)).rejects.toBe(err);
    await expect(pending).resolves.toEqual({ value: undefined, done: true });
    expect(state.closes).toBe(1);
  });
});
