import type { Clock } from '../../src/clock.js';

/** A clock that moves only when the test says so. */
export class ManualClock implements Clock {
  #now: number;

  constructor(start: Date | string = '2026-01-05T09:00:00.000Z') {
    this.#now = new Date(start).getTime();
  }

  now(): Date {
    return new Date(this.#now);
  }

  /** Moves time forward by `ms` milliseconds. */
  advance(ms: number): void {
    this.#now += ms;
  }

  /** Moves time forward by `s` seconds. */
  advanceSeconds(s: number): void {
    this.advance(s * 1000);
  }
}
