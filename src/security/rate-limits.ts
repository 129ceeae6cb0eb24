import { createHash } from 'node:crypto';
import { type RateLimiterAbstract, RateLimiterRes } from 'rate-limiter-flexible';
import type { TokenRejection } from '../auth/access-token.js';
import type { Config } from '../config.js';
import { AppError } from '../errors.js';
import { logSecurityEvent, type Logger, type SecurityEvent } from '../logger.js';
import { type Admission, AttemptThrottle } from './attempt-throttle.js';
import { type LimiterStore, openLimiterStore } from './limiter-store.js';

/** A refused request: how long the client should wait (`Retry-After`, `retryAfterSeconds`). */
export interface Refusal {
  retryAfterSeconds: number;
}

/**
 * How often each defence has acted since start-up, for monitoring. Refusals are counted every
 * time; they are logged (security events) once per key and window, so a flood does not flood
 * the log too.
 */
export interface SecurityCounters {
  /** Upgrades refused with 403: the access cookie from an origin not in ALLOWED_ORIGINS. */
  originsRefused: number;
  /** Upgrades refused with 429: attempts per address, open sockets per address or per student. */
  upgradesRefused: number;
  /** Sockets closed with 1013 `Too many connections` at `connection_init` (sockets per student). */
  connectionsRefused: number;
  /** Operations answered RATE_LIMITED, per connection (HTTP: per address) or per student. */
  operationsRefused: number;
  /** Log-ins answered INVALID_CREDENTIALS. */
  loginFailures: number;
  /** Log-ins answered RATE_LIMITED: their email or address was waiting out a delay. */
  loginsRefused: number;
  /** Access tokens refused (any reason but a missing one), over HTTP and at `connection_init`; by reason in {@link RateLimits.tokenFailuresByReason}. */
  tokenFailures: number;
  /** Requests and upgrades refused because their address presented too many bad tokens. */
  addressesRefused: number;
  /** Sockets closed with 1013 `Slow consumer`. */
  slowConsumersClosed: number;
  /** Scrapes of `/metrics` answered 401: no `METRICS_TOKEN`, or a wrong one. */
  scrapesRefused: number;
}

/** How many access tokens were refused over one transport for one reason. */
export interface TokenFailureCount {
  transport: LimitContext['transport'];
  reason: Exclude<TokenRejection, 'missing'>;
  count: number;
}

/** Where and for whom a limit was reached, for the security log. Never a credential. */
export interface LimitContext {
  transport: 'http' | 'ws';
  ip: string | undefined;
  userId?: string;
}

/** Failures are remembered this long for LOGIN_FAILURES_PER_EMAIL and LOGIN_FAILURES_PER_IP. */
export const LOGIN_WINDOW_SECONDS = 15 * 60;
/** The first delay once a log-in allowance is used up; each further failure doubles it. */
export const LOGIN_FIRST_DELAY_SECONDS = 1;
/** The longest delay between two log-in attempts of one email or address. */
export const LOGIN_MAX_DELAY_SECONDS = 15 * 60;
/**
 * `Retry-After` of a refusal by a cap on open sockets: a place frees up when one of them closes,
 * which nothing predicts, so this is a hint for back-off rather than a promise.
 */
export const SOCKET_CAP_RETRY_AFTER_SECONDS = 10;

const MINUTE = 60;

/**
 * Every abuse limit in one place, created once per server and closed with it: rate limits
 * (rate-limiter-flexible, in Redis when REDIS_URL is set, in memory otherwise), caps on open
 * sockets (always this instance's own count: a socket lives in one process, and a count shared
 * in Redis would outlive a crashed instance), brute-force delays for log-in, and the
 * {@link SecurityCounters}.
 */
export class RateLimits {
  readonly #store: LimiterStore;
  readonly #config: Config;
  readonly #logger: Logger;
  readonly #counters: SecurityCounters = {
    originsRefused: 0,
    upgradesRefused: 0,
    connectionsRefused: 0,
    operationsRefused: 0,
    loginFailures: 0,
    loginsRefused: 0,
    tokenFailures: 0,
    addressesRefused: 0,
    slowConsumersClosed: 0,
    scrapesRefused: 0,
  };
  readonly #tokenFailuresByReason = new Map<string, TokenFailureCount>();
  readonly #connectionAttempts: RateLimiterAbstract;
  readonly #tokenFailures: RateLimiterAbstract;
  readonly #connectionOperations: RateLimiterAbstract;
  readonly #studentOperations: RateLimiterAbstract;
  readonly #refusedScrapes: RateLimiterAbstract;
  readonly #loginsByEmail: AttemptThrottle;
  readonly #loginsByAddress: AttemptThrottle;
  readonly #socketsByAddress = new Map<string, number>();
  readonly #socketsByStudent = new Map<string, number>();

  /** Opens the store (connects to Redis when configured) and builds the limiters. */
  static async open(config: Config, logger: Logger): Promise<RateLimits> {
    return new RateLimits(await openLimiterStore(config, logger), config, logger);
  }

  private constructor(store: LimiterStore, config: Config, logger: Logger) {
    this.#store = store;
    this.#config = config;
    this.#logger = logger;
    const { limiter } = store;
    this.#connectionAttempts = limiter('ws-attempts', { points: config.WS_CONNECTIONS_PER_IP_PER_MINUTE, duration: MINUTE });
    this.#tokenFailures = limiter('token-failures', { points: config.TOKEN_FAILURES_PER_IP, duration: MINUTE });
    this.#connectionOperations = limiter('operations', { points: config.OPERATIONS_PER_CONNECTION_PER_MINUTE, duration: MINUTE });
    this.#studentOperations = limiter('student-operations', { points: config.OPERATIONS_PER_STUDENT_PER_MINUTE, duration: MINUTE });
    // Counts refusals to log only the first of each window: nothing is refused for reaching it.
    this.#refusedScrapes = limiter('metrics-refused', { points: 1, duration: MINUTE });
    const delays = { windowSeconds: LOGIN_WINDOW_SECONDS, firstDelaySeconds: LOGIN_FIRST_DELAY_SECONDS, maxDelaySeconds: LOGIN_MAX_DELAY_SECONDS };
    this.#loginsByEmail = new AttemptThrottle(limiter, 'login-email', { freeFailures: config.LOGIN_FAILURES_PER_EMAIL, ...delays });
    this.#loginsByAddress = new AttemptThrottle(limiter, 'login-address', { freeFailures: config.LOGIN_FAILURES_PER_IP, ...delays });
  }

  /** Where the counters live: `redis` when REDIS_URL is set. */
  get storeKind(): 'memory' | 'redis' {
    return this.#store.kind;
  }

  /** A copy of the counters. */
  counters(): SecurityCounters {
    return { ...this.#counters };
  }

  /** {@link SecurityCounters.tokenFailures} by transport and reason, copied; a pair never seen is absent. */
  tokenFailuresByReason(): TokenFailureCount[] {
    return [...this.#tokenFailuresByReason.values()].map((c) => ({ ...c }));
  }

  /** Counts one act of a defence that lives elsewhere (origin check, slow consumers), and logs it if `event` is given. */
  record(counter: keyof SecurityCounters, event?: SecurityEvent, details: Record<string, unknown> = {}): void {
    this.#counters[counter]++;
    if (event) logSecurityEvent(this.#logger, event, details);
  }

  // --- Addresses that present bad tokens -------------------------------------------------------

  /**
   * Counts an access token refused for `reason` (never `missing`: no token is not a failure)
   * from `ip`; the one that reaches TOKEN_FAILURES_PER_IP is logged.
   */
  async tokenRejected(ip: string | undefined, transport: LimitContext['transport'], reason: TokenFailureCount['reason']): Promise<void> {
    this.#counters.tokenFailures++;
    const key = `${transport} ${reason}`;
    const byReason = this.#tokenFailuresByReason.get(key) ?? { transport, reason, count: 0 };
    byReason.count++;
    this.#tokenFailuresByReason.set(key, byReason);
    const res = await this.#tokenFailures.penalty(addressKey(ip));
    if (res.consumedPoints === this.#config.TOKEN_FAILURES_PER_IP) {
      logSecurityEvent(this.#logger, 'rate_limit.exceeded', { limit: 'token_failures_per_address', transport, ip });
    }
  }

  /**
   * Whether `ip` is refused, for the rest of the minute, for having presented TOKEN_FAILURES_PER_IP
   * bad tokens in it; counted as a refused address.
   */
  async refusedAddress(ip: string | undefined): Promise<Refusal | undefined> {
    const res = await this.#tokenFailures.get(addressKey(ip));
    if (!res || res.consumedPoints < this.#config.TOKEN_FAILURES_PER_IP) return undefined;
    this.#counters.addressesRefused++;
    return refusal(res);
  }

  // --- WebSocket upgrades ---------------------------------------------------------------------

  /** Counts an upgrade attempt from `ip` against WS_CONNECTIONS_PER_IP_PER_MINUTE. */
  async connectionAttempt(ip: string | undefined): Promise<Refusal | undefined> {
    const over = await consume(this.#connectionAttempts, addressKey(ip));
    if (!over) return undefined;
    this.#counters.upgradesRefused++;
    if (over.consumedPoints === this.#config.WS_CONNECTIONS_PER_IP_PER_MINUTE + 1) {
      logSecurityEvent(this.#logger, 'ws.upgrade_refused', { reason: 'connection_attempts', ip });
    }
    return refusal(over);
  }

  /** Open sockets of `ip` on this instance. */
  socketsOfAddress(ip: string | undefined): number {
    return this.#socketsByAddress.get(addressKey(ip)) ?? 0;
  }

  /** Authenticated sockets of a student on this instance. */
  socketsOfStudent(userId: string): number {
    return this.#socketsByStudent.get(userId) ?? 0;
  }

  /** Takes one of the address's WS_MAX_SOCKETS_PER_IP places; returns its release, or undefined when none is left. */
  claimAddressSocket(ip: string | undefined): (() => void) | undefined {
    return claim(this.#socketsByAddress, addressKey(ip), this.#config.WS_MAX_SOCKETS_PER_IP);
  }

  /** Takes one of the student's WS_MAX_SOCKETS_PER_STUDENT places; returns its release, or undefined when none is left. */
  claimStudentSocket(userId: string): (() => void) | undefined {
    return claim(this.#socketsByStudent, userId, this.#config.WS_MAX_SOCKETS_PER_STUDENT);
  }

  // --- Operations -----------------------------------------------------------------------------

  /**
   * Counts `points` operations of one connection against OPERATIONS_PER_CONNECTION_PER_MINUTE:
   * `connection` is a socket's own id, or over HTTP the client address.
   */
  async connectionOperations(connection: string, points: number, context: LimitContext): Promise<Refusal | undefined> {
    const over = await consume(this.#connectionOperations, connection, points);
    return over && this.#operationsRefused(over, 'operations_per_connection', this.#config.OPERATIONS_PER_CONNECTION_PER_MINUTE, points, context);
  }

  /** Counts `points` operations of a student, whatever the transport, against OPERATIONS_PER_STUDENT_PER_MINUTE. */
  async studentOperations(userId: string, points: number, context: LimitContext): Promise<Refusal | undefined> {
    const over = await consume(this.#studentOperations, userId, points);
    return over && this.#operationsRefused(over, 'operations_per_student', this.#config.OPERATIONS_PER_STUDENT_PER_MINUTE, points, { ...context, userId });
  }

  #operationsRefused(over: RateLimiterRes, limit: string, allowed: number, points: number, context: LimitContext): Refusal {
    this.#counters.operationsRefused++;
    // Only the request that crossed the limit is logged: those after it in the window are counted.
    if (over.consumedPoints - points <= allowed) logSecurityEvent(this.#logger, 'rate_limit.exceeded', { limit, ...context });
    return refusal(over);
  }

  // --- Log-in -----------------------------------------------------------------------------------

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
    const byAddress = await this.#loginsByAddress.begin(address);
    if (!byAddress.ok) throw this.#loginRefused('address', byAddress, who.ip, email);
    const byEmail = await this.#loginsByEmail.begin(email);
    if (!byEmail.ok) {
      await this.#loginsByAddress.refund(address);
      throw this.#loginRefused('email', byEmail, who.ip, email);
    }
    let result: T;
    try {
      result = await logIn();
    } catch (err) {
      if (err instanceof AppError && err.code === 'INVALID_CREDENTIALS') this.#counters.loginFailures++;
      else await Promise.all([this.#loginsByAddress.refund(address), this.#loginsByEmail.refund(email)]);
      throw err;
    }
    await Promise.all([this.#loginsByAddress.refund(address), this.#loginsByEmail.reset(email)]);
    return result;
  }

  #loginRefused(limit: 'email' | 'address', admission: Admission & { ok: false }, ip: string | undefined, email: string): AppError {
    this.#counters.loginsRefused++;
    const { retryAfterSeconds } = admission;
    // The email is named by a hash: enough to follow an attack on one account, not to read it.
    if (admission.first) logSecurityEvent(this.#logger, 'auth.login_throttled', { limit, retryAfterSeconds, ip, emailHash: email });
    return rateLimited({ retryAfterSeconds });
  }

  // --- Metrics ---------------------------------------------------------------------------------

  /**
   * Counts a scrape of `/metrics` answered 401 for want of the right METRICS_TOKEN, and logs it
   * as `metrics.unauthorized`: the first from each address in a minute, so that a flood of bad
   * scrapes does not flood the log too.
   */
  async scrapeRefused(ip: string | undefined, reason: 'missing' | 'invalid'): Promise<void> {
    this.#counters.scrapesRefused++;
    const { consumedPoints } = await this.#refusedScrapes.penalty(addressKey(ip));
    if (consumedPoints === 1) logSecurityEvent(this.#logger, 'metrics.unauthorized', { reason, ip });
  }

  /** Closes the store (quits Redis). */
  close(): Promise<void> {
    return this.#store.close();
  }
}

/** The RATE_LIMITED error of a refusal. */
export function rateLimited(refusal: Refusal): AppError {
  return new AppError('RATE_LIMITED', undefined, { retryAfterSeconds: refusal.retryAfterSeconds });
}

/** The JSON body of a 429 sent outside GraphQL execution (HTTP middleware, WebSocket upgrade): GraphQL's error shape. */
export function rateLimitedBody(refusal: Refusal): string {
  const { message, extensions } = rateLimited(refusal).toGraphQLError().toJSON();
  return JSON.stringify({ errors: [{ message, extensions }] });
}

function refusal(res: RateLimiterRes): Refusal {
  return { retryAfterSeconds: Math.max(1, Math.ceil(res.msBeforeNext / 1000)) };
}

/** Consumes `points`; returns the state when that went over the limit. */
async function consume(limiter: RateLimiterAbstract, key: string, points = 1): Promise<RateLimiterRes | undefined> {
  try {
    await limiter.consume(key, points);
    return undefined;
  } catch (rejection) {
    if (rejection instanceof RateLimiterRes) return rejection;
    throw rejection;
  }
}

function claim(counts: Map<string, number>, key: string, max: number): (() => void) | undefined {
  const open = counts.get(key) ?? 0;
  if (open >= max) return undefined;
  counts.set(key, open + 1);
  let released = false;
  return () => {
    if (released) return;
    released = true;
    const left = (counts.get(key) ?? 1) - 1;
    if (left > 0) counts.set(key, left);
    else counts.delete(key);
  };
}

/** An address as a key; a request whose socket is already gone has none. */
function addressKey(ip: string | undefined): string {
  return ip ?? 'unknown';
}

/** An email as a key: normalised as log-in compares it, and hashed so no store or log holds it. */
function emailKey(email: string): string {
  return createHash('sha256').update(email.trim().toLowerCase()).digest('base64url').slice(0, 22);
}
