import { createHash } from 'node:crypto';
import { AppError } from '../errors.js';
import { logSecurityEvent, type Logger } from '../logger.js';
import { type Admission, AttemptThrottle } from './attempt-throttle.js';
import type { LimiterFactory } from './limiter-store.js';
import { addressKey, rateLimited } from './request-limits.js';
import type { DefenceCounters } from './security-counters.js';

/** Failures are remembered this long for LOGIN_FAILURES_PER_EMAIL and LOGIN_FAILURES_PER_IP. */
export const LOGIN_WINDOW_SECONDS = 15 * 60;
/** The first delay once a log-in allowance is used up; each further failure doubles it. */
export const LOGIN_FIRST_DELAY_SECONDS = 1;
/** The longest delay between two log-in attempts of one email or address. */
export const LOGIN_MAX_DELAY_SECONDS = 15 * 60;
/** How many failed log-ins are free before the delays start. */
export interface LoginThrottleSettings {
  /** LOGIN_FAILURES_PER_EMAIL. */
  failuresPerEmail: number;
  /** LOGIN_FAILURES_PER_IP. */
  failuresPerIp: number;
}

/** Brute-force delays for log-in, per email and per client address. */
export class LoginThrottle {
  readonly #byEmail: AttemptThrottle;
  readonly #byAddress: AttemptThrottle;

  constructor(
    limiter: LimiterFactory,
    settings: LoginThrottleSettings,
    private readonly counters: DefenceCounters,
    private readonly logger: Logger,
  ) {
    const delays = { windowSeconds: LOGIN_WINDOW_SECONDS, firstDelaySeconds: LOGIN_FIRST_DELAY_SECONDS, maxDelaySeconds: LOGIN_MAX_DELAY_SECONDS };
    this.#byEmail = new AttemptThrottle(limiter, 'login-email', { freeFailures: settings.failuresPerEmail, ...delays });
    this.#byAddress = new AttemptThrottle(limiter, 'login-address', { freeFailures: settings.failuresPerIp, ...delays });
  }

  /**
   * Runs a log-in attempt under the brute-force delays of its address (LOGIN_FAILURES_PER_IP)
   * and its email (LOGIN_FAILURES_PER_EMAIL): throws RATE_LIMITED with `retryAfterSeconds`,
   * without calling `logIn`, while either is waiting out a delay. An INVALID_CREDENTIALS answer
   * counts as a failure for both; a success clears the email's failures (not the address's: an
   * attacker with an account of their own could clear them between guesses); any other outcome
   * counts for neither.
   */
  async throttleLogIn<T>(who: { email: string; ip: string | undefined }, logIn: () => Promise<T>): Promise<T> {
    const address = addressKey(who.ip);
    const email = emailKey(who.email);
    const byAddress = await this.#byAddress.begin(address);
    if (!byAddress.ok) throw this.#loginRefused('address', byAddress, who.ip, email);
    const byEmail = await this.#byEmail.begin(email);
    if (!byEmail.ok) {
      await this.#byAddress.refund(address);
      throw this.#loginRefused('email', byEmail, who.ip, email);
    }
    let result: T;
    try {
      result = await logIn();
    } catch (err) {
      if (err instanceof AppError && err.code === 'INVALID_CREDENTIALS') this.counters.record('loginFailures');
      else await Promise.all([this.#byAddress.refund(address), this.#byEmail.refund(email)]);
      throw err;
    }
    await Promise.all([this.#byAddress.refund(address), this.#byEmail.reset(email)]);
    return result;
  }

  #loginRefused(limit: 'email' | 'address', admission: Admission & { ok: false }, ip: string | undefined, email: string): AppError {
    this.counters.record('loginsRefused');
    const { retryAfterSeconds } = admission;
    // The email is named by a hash: enough to follow an attack on one account, not to read it.
    if (admission.first) logSecurityEvent(this.logger, 'auth.login_throttled', { limit, retryAfterSeconds, ip, emailHash: email });
    return rateLimited({ retryAfterSeconds });
  }
}

/** An email as a key: normalised as log-in compares it, and hashed so no store or log holds it. */
function emailKey(email: string): string {
  return createHash('sha256').update(email.trim().toLowerCase()).digest('base64url').slice(0, 22);
}
