import type { Logger } from '../logger.js';
import { type LimiterStoreSettings, openLimiterStore } from './limiter-store.js';
import { LoginThrottle, type LoginThrottleSettings } from './login-throttle.js';
import { RequestLimits, type RequestLimitSettings } from './request-limits.js';
import { DefenceCounters } from './security-counters.js';
import { SocketCaps, type SocketCapSettings } from './socket-caps.js';

/** Every allowance of the abuse defences, derived once from the configuration. */
export interface DefenceSettings {
  store: LimiterStoreSettings;
  requests: RequestLimitSettings;
  sockets: SocketCapSettings;
  logins: LoginThrottleSettings;
}

/**
 * The abuse defences of one server, each its own object over one shared limiter store: the
 * transports take the ones they apply, nothing takes them all.
 */
export interface Defences {
  /** How often each defence acted, and the security log. */
  readonly counters: DefenceCounters;
  /** Rate limits of requests, upgrades and operations. */
  readonly requests: RequestLimits;
  /** Caps on open sockets per address and per student. */
  readonly sockets: SocketCaps;
  /** Brute-force delays of log-in. */
  readonly logins: LoginThrottle;
  /** Where the counters live: `redis` when REDIS_URL is set. */
  readonly storeKind: 'memory' | 'redis';
  /** Closes the store (quits Redis). */
  close(): Promise<void>;
}

/** Opens the limiter store (connects to Redis when configured) and builds the defences over it. */
export async function openDefences(settings: DefenceSettings, logger: Logger): Promise<Defences> {
  const store = await openLimiterStore(settings.store, logger);
  const counters = new DefenceCounters(logger);
  return {
    counters,
    requests: new RequestLimits(store.limiter, settings.requests, counters, logger),
    sockets: new SocketCaps(settings.sockets),
    logins: new LoginThrottle(store.limiter, settings.logins, counters, logger),
    storeKind: store.kind,
    close: () => store.close(),
  };
}
