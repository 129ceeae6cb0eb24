import type { RateLimiterAbstract } from 'rate-limiter-flexible';
import { RateLimiterRes } from 'rate-limiter-flexible';
import type { TokenRejection } from '../auth/access-token.js';
import { AppError } from '../errors.js';
import { logSecurityEvent, type Logger } from '../logger.js';
import type { LimiterFactory } from './limiter-store.js';
import type { DefenceCounters, Transport } from './security-counters.js';

/** A refused request: how long the client should wait (`Retry-After`, `retryAfterSeconds`). */
export interface Refusal {
  retryAfterSeconds: number;
}

/** Where and for whom a limit was reached, for the security log. Never a credential. */
export interface LimitContext {
  transport: Transport;
  ip: string | undefined;
  userId?: string;
}

/** The allowances of {@link RequestLimits}, per minute. */
export interface RequestLimitSettings {
  /** WS_CONNECTIONS_PER_IP_PER_MINUTE. */
  connectionsPerIpPerMinute: number;
  /** TOKEN_FAILURES_PER_IP. */
  tokenFailuresPerIp: number;
  /** OPERATIONS_PER_CONNECTION_PER_MINUTE. */
  operationsPerConnectionPerMinute: number;
  /** OPERATIONS_PER_STUDENT_PER_MINUTE. */
  operationsPerStudentPerMinute: number;
}

const MINUTE = 60;

/**
 * One socket's operations in its current minute (OPERATIONS_PER_CONNECTION_PER_MINUTE), kept
 * on the socket: a socket lives on one instance, so its count needs no shared store (no Redis
 * command per subscribe), and it goes with the socket (no key and timer left for a minute).
 * A window starts at the first operation after the previous one ended, as the limiters' do.
 */
export class OperationWindow {
  #endsAt = 0;
  #consumed = 0;

  /** Counts `points` at `nowMs`: the points of the window so far, and ms until it ends. */
  consume(points: number, nowMs: number): { consumedPoints: number; msBeforeNext: number } {
    if (nowMs >= this.#endsAt) {
      this.#endsAt = nowMs + MINUTE * 1000;
      this.#consumed = 0;
    }
    this.#consumed += points;
    return { consumedPoints: this.#consumed, msBeforeNext: this.#endsAt - nowMs };
  }
}

/**
 * The rate limits of requests and upgrades (rate-limiter-flexible, in Redis when REDIS_URL is
 * set, in memory otherwise): bad tokens per address, upgrade attempts per address, operations
 * per connection and per student, and the log throttles of refused scrapes and subprotocols. Refusals are counted
 * every time and logged once per key and window, so a flood does not flood the log too.
 */
export class RequestLimits {
  readonly #connectionAttempts: RateLimiterAbstract;
  readonly #tokenFailures: RateLimiterAbstract;
  readonly #connectionOperations: RateLimiterAbstract;
  readonly #studentOperations: RateLimiterAbstract;
  readonly #refusedScrapes: RateLimiterAbstract;
  readonly #refusedSubprotocols: RateLimiterAbstract;

  constructor(
    limiter: LimiterFactory,
    private readonly settings: RequestLimitSettings,
    private readonly counters: DefenceCounters,
    private readonly logger: Logger,
  ) {
    this.#connectionAttempts = limiter('ws-attempts', { points: settings.connectionsPerIpPerMinute, duration: MINUTE });
    this.#tokenFailures = limiter('token-failures', { points: settings.tokenFailuresPerIp, duration: MINUTE });
    this.#connectionOperations = limiter('operations', { points: settings.operationsPerConnectionPerMinute, duration: MINUTE });
    this.#studentOperations = limiter('student-operations', { points: settings.operationsPerStudentPerMinute, duration: MINUTE });
    // Counts refusals to log only the first of each window: nothing is refused for reaching it.
    this.#refusedScrapes = limiter('metrics-refused', { points: 1, duration: MINUTE });
    this.#refusedSubprotocols = limiter('subprotocol-refused', { points: 1, duration: MINUTE });
  }

  /**
   * Counts an access token refused for `reason` (never `missing`: no token is not a failure)
   * from `ip`; the one that reaches TOKEN_FAILURES_PER_IP is logged.
   */
  async tokenRejected(ip: string | undefined, transport: Transport, reason: Exclude<TokenRejection, 'missing'>): Promise<void> {
    this.counters.tokenRejected(transport, reason);
    const res = await this.#tokenFailures.penalty(addressKey(ip));
    if (res.consumedPoints === this.settings.tokenFailuresPerIp) {
      logSecurityEvent(this.logger, 'rate_limit.exceeded', { limit: 'token_failures_per_address', transport, ip });
    }
  }

  /**
   * Whether `ip` is refused, for the rest of the minute, for having presented TOKEN_FAILURES_PER_IP
   * bad tokens in it; counted as a refused address.
   */
  async refusedAddress(ip: string | undefined): Promise<Refusal | undefined> {
    const res = await this.#tokenFailures.get(addressKey(ip));
    if (!res || res.consumedPoints < this.settings.tokenFailuresPerIp) return undefined;
    this.counters.record('addressesRefused');
    return refusal(res);
  }

  /** Counts an upgrade attempt from `ip` against WS_CONNECTIONS_PER_IP_PER_MINUTE. */
  async connectionAttempt(ip: string | undefined): Promise<Refusal | undefined> {
    const over = await consume(this.#connectionAttempts, addressKey(ip));
    if (!over) return undefined;
    this.counters.record('upgradesRefused');
    if (over.consumedPoints === this.settings.connectionsPerIpPerMinute + 1) {
      logSecurityEvent(this.logger, 'ws.upgrade_refused', { reason: 'connection_attempts', ip });
    }
    return refusal(over);
  }

  /** Counts `points` operations of an HTTP client address against OPERATIONS_PER_CONNECTION_PER_MINUTE (on every instance together). */
  async addressOperations(ip: string | undefined, points: number, context: LimitContext): Promise<Refusal | undefined> {
    const over = await consume(this.#connectionOperations, `address:${addressKey(ip)}`, points);
    return over && this.#operationsRefused(over, 'operations_per_connection', this.settings.operationsPerConnectionPerMinute, points, context);
  }

  /** Counts `points` operations of one socket, in its own `window`, against OPERATIONS_PER_CONNECTION_PER_MINUTE. */
  socketOperations(window: OperationWindow, points: number, context: LimitContext): Refusal | undefined {
    const state = window.consume(points, Date.now());
    if (state.consumedPoints <= this.settings.operationsPerConnectionPerMinute) return undefined;
    return this.#operationsRefused(state, 'operations_per_connection', this.settings.operationsPerConnectionPerMinute, points, context);
  }

  /** Counts `points` operations of a student, whatever the transport, against OPERATIONS_PER_STUDENT_PER_MINUTE. */
  async studentOperations(userId: string, points: number, context: LimitContext): Promise<Refusal | undefined> {
    const over = await consume(this.#studentOperations, userId, points);
    return over && this.#operationsRefused(over, 'operations_per_student', this.settings.operationsPerStudentPerMinute, points, { ...context, userId });
  }

  #operationsRefused(over: Pick<RateLimiterRes, 'consumedPoints' | 'msBeforeNext'>, limit: string, allowed: number, points: number, context: LimitContext): Refusal {
    this.counters.record('operationsRefused');
    // Only the request that crossed the limit is logged: those after it in the window are counted.
    if (over.consumedPoints - points <= allowed) logSecurityEvent(this.logger, 'rate_limit.exceeded', { limit, ...context });
    return refusal(over);
  }

  /**
   * Counts a scrape of `/metrics` answered 401 for want of the right METRICS_TOKEN, and logs it
   * as `metrics.unauthorized`: the first from each address in a minute, so that a flood of bad
   * scrapes does not flood the log too.
   */
  async scrapeRefused(ip: string | undefined, reason: 'missing' | 'invalid'): Promise<void> {
    this.counters.record('scrapesRefused');
    const { consumedPoints } = await this.#refusedScrapes.penalty(addressKey(ip));
    if (consumedPoints === 1) logSecurityEvent(this.logger, 'metrics.unauthorized', { reason, ip });
  }

  /**
   * Logs a socket closed with 4406 for its subprotocol as `ws.subprotocol_refused`: the first
   * from each address in a minute, so that a legacy client reconnecting in a loop does not
   * flood the log too.
   */
  async subprotocolRefused(ip: string | undefined, offered: RefusedSubprotocol): Promise<void> {
    const { consumedPoints } = await this.#refusedSubprotocols.penalty(addressKey(ip));
    if (consumedPoints === 1) logSecurityEvent(this.logger, 'ws.subprotocol_refused', { ip, offered });
  }
}

/**
 * What a socket closed with 4406 offered, as the security log names it: the legacy name
 * `graphql-ws` (subscriptions-transport-ws, Apollo's old `WebSocketLink`), some `other` name,
 * or `none`. Never another name itself: clients that cannot set headers (browsers) put tokens
 * in the subprotocol (`base64url.bearer.authorization.k8s.io.<token>`).
 */
export type RefusedSubprotocol = 'graphql-ws' | 'other' | 'none';

/** The RATE_LIMITED error of a refusal. */
export function rateLimited(refusal: Refusal): AppError {
  return new AppError('RATE_LIMITED', undefined, { retryAfterSeconds: refusal.retryAfterSeconds });
}

/** The JSON body of a 429 sent outside GraphQL execution (HTTP middleware, WebSocket upgrade): GraphQL's error shape. */
export function rateLimitedBody(refusal: Refusal): string {
  const { message, extensions } = rateLimited(refusal).toGraphQLError().toJSON();
  return JSON.stringify({ errors: [{ message, extensions }] });
}

function refusal(res: Pick<RateLimiterRes, 'msBeforeNext'>): Refusal {
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

/** An address as a key; a request whose socket is already gone has none. */
export function addressKey(ip: string | undefined): string {
  return ip ?? 'unknown';
}
