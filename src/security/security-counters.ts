import type { TokenRejection } from '../auth/access-token.js';
import { logSecurityEvent, type Logger, type SecurityEvent } from '../logger.js';

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
  /** Access tokens refused (any reason but a missing one), over HTTP and at `connection_init`; by reason in {@link DefenceCounters.tokenFailuresByReason}. */
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
  transport: Transport;
  reason: Exclude<TokenRejection, 'missing'>;
  count: number;
}

/** The transport a request or socket came over. */
export type Transport = 'http' | 'ws';

/**
 * The {@link SecurityCounters} of one server and the security log beside them: every defence
 * counts what it does here (and logs it, when it is an event a person should see).
 */
export class DefenceCounters {
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

  constructor(private readonly logger: Logger) {}

  /** A copy of the counters. */
  counters(): SecurityCounters {
    return { ...this.#counters };
  }

  /** {@link SecurityCounters.tokenFailures} by transport and reason, copied; a pair never seen is absent. */
  tokenFailuresByReason(): TokenFailureCount[] {
    return [...this.#tokenFailuresByReason.values()].map((c) => ({ ...c }));
  }

  /** Counts one act of a defence, and logs it as the security event `event` when given. */
  record(counter: keyof SecurityCounters, event?: SecurityEvent, details: Record<string, unknown> = {}): void {
    this.#counters[counter]++;
    if (event) logSecurityEvent(this.logger, event, details);
  }

  /** Counts an access token refused for `reason` over `transport`, in the total and by reason. */
  tokenRejected(transport: Transport, reason: Exclude<TokenRejection, 'missing'>): void {
    this.#counters.tokenFailures++;
    const key = `${transport} ${reason}`;
    const byReason = this.#tokenFailuresByReason.get(key) ?? { transport, reason, count: 0 };
    byReason.count++;
    this.#tokenFailuresByReason.set(key, byReason);
  }
}
