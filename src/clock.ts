/**
 * The source of "now" for everything that stores or compares instants. Production uses
 * {@link systemClock}; tests inject a clock they move by hand so timer arithmetic is exact.
 */
export interface Clock {
  /** The current instant. */
  now(): Date;
}

/** The wall clock. */
export const systemClock: Clock = { now: () => new Date() };
