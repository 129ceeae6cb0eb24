import type { RateLimiterAbstract } from 'rate-limiter-flexible';
import type { LimiterFactory } from './limiter-store.js';

/** How an {@link AttemptThrottle} spaces attempts once the free ones are used up. */
export interface AttemptThrottleSettings {
  /** Attempts that may fail within `windowSeconds` before the delays start. */
  freeFailures: number;
  /** How long failures are remembered, from the first one (a fixed window). */
  windowSeconds: number;
  /** The first delay; each later one doubles it. */
  firstDelaySeconds: number;
  /** The longest delay. */
  maxDelaySeconds: number;
}

/** Whether an attempt may go ahead; a refusal says how long to wait. */
export type Admission =
  | { ok: true }
  | {
      ok: false;
      retryAfterSeconds: number;
      /** True for the first refusal of a delay: log that one, not the flood after it. */
      first: boolean;
    };

/**
 * Brute-force protection for one kind of key (an email, an address), with a delay that grows:
 * `freeFailures` attempts may fail within the window; from then on one attempt is allowed per
 * delay, and the delay doubles with each (1 s, 2 s, 4 s … up to `maxDelaySeconds` with the
 * defaults), answered with the time left in between. ExpressBruteFlexible's scheme, counting
 * failures only and usable outside Express.
 *
 * An attempt is counted as a failure from the moment it begins (`begin`) until `refund` or
 * `reset` says otherwise: counted only once the password has been found wrong, a burst of
 * parallel attempts would all pass the check before the first failure was recorded.
 *
 * Both counters are rate-limiter-flexible limiters, so they live in Redis when it is configured
 * and every instance sees the same delays.
 */
export class AttemptThrottle {
  /** Attempts not refunded, per key, for the window. */
  readonly #failures: RateLimiterAbstract;
  /** The delay in progress: a key exists while the attempt that opened it waits it out. */
  readonly #gate: RateLimiterAbstract;

  constructor(
    limiter: LimiterFactory,
    name: string,
    private readonly settings: AttemptThrottleSettings,
  ) {
    this.#failures = limiter(`${name}-failures`, { points: settings.freeFailures, duration: settings.windowSeconds });
    this.#gate = limiter(`${name}-delay`, { points: 1, duration: settings.maxDelaySeconds });
  }

  /** Asks to make an attempt for `key`; when allowed, it counts as a failure until refunded or reset. */
  async begin(key: string): Promise<Admission> {
    const { consumedPoints } = await this.#failures.penalty(key);
    const beyond = consumedPoints - this.settings.freeFailures;
    if (beyond < 0) return { ok: true };
    // The attempt that uses up the allowance opens the first delay; each one after it, a longer one.
    const delay = Math.min(this.settings.firstDelaySeconds * 2 ** beyond, this.settings.maxDelaySeconds);
    const slot = await this.#gate.penalty(key, 1, { customDuration: delay });
    if (slot.consumedPoints === 1) return { ok: true };
    await this.refund(key);
    return { ok: false, retryAfterSeconds: Math.max(1, Math.ceil(slot.msBeforeNext / 1000)), first: slot.consumedPoints === 2 };
  }

  /** The attempt did not fail (or never reached a verdict): it no longer counts. The delay in progress stays. */
  async refund(key: string): Promise<void> {
    const { consumedPoints } = await this.#failures.reward(key);
    // The window may have ended in between: a negative count would be a free attempt more.
    if (consumedPoints <= 0) await this.#failures.delete(key);
  }

  /** Forgets the key's failures and delay (a successful log-in for that email). */
  async reset(key: string): Promise<void> {
    await Promise.all([this.#failures.delete(key), this.#gate.delete(key)]);
  }
}
