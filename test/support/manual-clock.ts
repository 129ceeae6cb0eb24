import type { Clock } from '../../src/clock.js';

/**
 * A clock the test moves by hand. Frozen (the default) it stands still between `advance`
 * calls, for exact arithmetic. Running (`{ running: true }`) it follows real time from when it
 * was made, plus whatever `advance` adds: for tests of ticks and timeouts that also want to
 * jump ahead.
 */
export class ManualClock implements Clock {
  #base: number;
  readonly #realStart: number | undefined;

  constructor(options: { start?: Date | string; running?: boolean } = {}) {
    this.#base = new Date(options.start ?? (options.running ? Date.now() : '2026-01-05T09:00:00.000Z')).getTime();
    this.#realStart = options.running ? Date.now() : undefined;
  }

  now(): Date {
    return new Date(this.#base + (this.#realStart === undefined ? 0 : Date.now() - this.#realStart));
  }

  /** Moves time forward by `ms` milliseconds. */
  advance(ms: number): void {
    this.#base += ms;
  }

  /** Moves time forward by `s` seconds. */
  advanceSeconds(s: number): void {
    this.advance(s * 1000);
  }
}
