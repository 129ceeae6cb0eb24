import { Redis } from 'ioredis';
import { type RateLimiterAbstract, RateLimiterMemory, RateLimiterRedis } from 'rate-limiter-flexible';
import type { Logger } from '../logger.js';

/** Makes a rate-limiter-flexible limiter named `name` (its key prefix) in the store. */
export type LimiterFactory = (name: string, options: { points: number; duration: number }) => RateLimiterAbstract;

/** Where rate-limit counters live: this process's memory, or Redis shared by every instance. */
export interface LimiterStore {
  readonly kind: 'memory' | 'redis';
  readonly limiter: LimiterFactory;
  /** Releases the store (quits the Redis client). Idempotent. */
  close(): Promise<void>;
}

/** How long start-up waits for Redis before going on with in-memory counters. */
const REDIS_CONNECT_TIMEOUT_MS = 3_000;

/** Where the limiters keep their counts. */
export interface LimiterStoreSettings {
  /** REDIS_URL; memory when undefined. */
  redisUrl: string | undefined;
  /** REDIS_KEY_PREFIX. */
  keyPrefix: string;
}

/**
 * Opens the counters' store: Redis when `REDIS_URL` is set (keys under `REDIS_KEY_PREFIX`),
 * memory otherwise. With Redis, each limiter has an in-memory twin as its insurance limiter:
 * while Redis is unreachable (at start-up too) counting goes on per instance instead of failing
 * every request, and the client reconnects by itself. An outage is logged once, not per command.
 */
export async function openLimiterStore(settings: LimiterStoreSettings, logger: Logger): Promise<LimiterStore> {
  const memory: LimiterFactory = (name, { points, duration }) => new RateLimiterMemory({ keyPrefix: name, points, duration });
  if (!settings.redisUrl) return { kind: 'memory', limiter: memory, close: async () => {} };

  const redis = new Redis(settings.redisUrl, {
    lazyConnect: true,
    // A command while disconnected fails at once and the insurance limiter answers; queued, it
    // would hold the request until Redis came back.
    enableOfflineQueue: false,
    connectTimeout: REDIS_CONNECT_TIMEOUT_MS,
  });
  let healthy = true;
  redis.on('error', (err: Error) => {
    if (!healthy) return;
    healthy = false;
    logger.error({ err }, 'Redis unavailable: rate limits are counted in this process until it is back');
  });
  redis.on('ready', () => {
    if (!healthy) logger.info('Redis available again: rate limits are shared');
    healthy = true;
  });
  await redis.connect().catch(() => {}); // logged by the error listener; reconnection goes on

  const prefix = settings.keyPrefix;
  let closed: Promise<void> | undefined;
  return {
    kind: 'redis',
    limiter: (name, options) =>
      new RateLimiterRedis({
        storeClient: redis,
        keyPrefix: `${prefix}${name}`,
        ...options,
        rejectIfRedisNotReady: true,
        insuranceLimiter: memory(name, options),
      }),
    close: () =>
      (closed ??= (async () => {
        if (redis.status === 'ready') await redis.quit().catch(() => redis.disconnect());
        else redis.disconnect();
      })()),
  };
}
