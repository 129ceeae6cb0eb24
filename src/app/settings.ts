import type { CredentialsSettings } from '../auth/credentials.service.js';
import type { Config } from '../config.js';
import { createOperationLimits, type OperationLimits } from '../graphql/operation-limits.js';
import { compileTrustProxy, type TrustProxy } from '../http/client-address.js';
import type { PresenceSettings } from '../presence/presence.service.js';
import { randomUUID } from 'node:crypto';
import type { DefenceSettings } from '../security/defences.js';
import type { WsSettings } from '../ws/settings.js';

/**
 * What each module needs of the configuration, derived from it once at start-up: modules take
 * these narrow, camelCase settings (documented at their fields) rather than the whole
 * environment-named {@link Config}, and nothing is compiled twice.
 */
export interface Settings {
  /** TRUST_PROXY, compiled: which hops may name the client address. */
  readonly trustProxy: TrustProxy;
  /** Depth, alias, directive, token and cost limits and introspection, shared by both transports. */
  readonly operationLimits: OperationLimits;
  readonly credentials: CredentialsSettings;
  readonly presence: PresenceSettings;
  readonly defences: DefenceSettings;
  readonly ws: WsSettings;
  /** TICK_INTERVAL_MS. */
  readonly tickIntervalMs: number;
  /** TICK_BATCH_MS. */
  readonly tickBatchMs: number;
  /** COMPLETION_SWEEP_SECONDS, in ms. */
  readonly completionSweepMs: number;
  /** Cluster mode: on when DATABASE_URL (a PostgreSQL server) and REDIS_URL are both set. */
  readonly cluster: ClusterSettings | undefined;
}

/** How this instance joins the others on the same PostgreSQL and Redis. */
export interface ClusterSettings {
  readonly redisUrl: string;
  /** The stream's key: REDIS_KEY_PREFIX + `events`. */
  readonly streamKey: string;
  /** INSTANCE_ID, or a random one per process. */
  readonly instanceId: string;
  /** CLUSTER_RECONCILE_SECONDS, in ms. */
  readonly reconcileMs: number;
  /** CLUSTER_HEARTBEAT_SECONDS, in ms. */
  readonly heartbeatMs: number;
  /** WS_MAX_SOCKETS_PER_STUDENT, counted on every instance. */
  readonly maxSocketsPerStudent: number;
}

/** Derives every module's settings from `config`. */
export function deriveSettings(config: Config): Settings {
  // Cluster mode: a PostgreSQL server and Redis, which every instance on them shares.
  const clustered = Boolean(config.DATABASE_URL && config.REDIS_URL);
  return Object.freeze({
    trustProxy: compileTrustProxy(config.TRUST_PROXY),
    operationLimits: createOperationLimits(config),
    credentials: {
      secret: config.JWT_SECRET,
      issuer: config.JWT_ISSUER,
      audience: config.JWT_AUDIENCE,
      ttlSeconds: config.ACCESS_TOKEN_TTL_SECONDS,
      refreshTtlSeconds: config.REFRESH_TOKEN_TTL_SECONDS,
      scryptLogN: config.PASSWORD_SCRYPT_LOG_N,
      clockToleranceSeconds: config.JWT_CLOCK_TOLERANCE_SECONDS,
    },
    presence: {
      graceMs: config.DISCONNECT_GRACE_SECONDS * 1000,
      heartbeatMs: config.LAST_SEEN_HEARTBEAT_SECONDS * 1000,
    },
    defences: {
      store: { redisUrl: config.REDIS_URL, keyPrefix: config.REDIS_KEY_PREFIX },
      requests: {
        connectionsPerIpPerMinute: config.WS_CONNECTIONS_PER_IP_PER_MINUTE,
        tokenFailuresPerIp: config.TOKEN_FAILURES_PER_IP,
        operationsPerConnectionPerMinute: config.OPERATIONS_PER_CONNECTION_PER_MINUTE,
        operationsPerStudentPerMinute: config.OPERATIONS_PER_STUDENT_PER_MINUTE,
      },
      sockets: { maxSocketsPerIp: config.WS_MAX_SOCKETS_PER_IP, maxSocketsPerStudent: config.WS_MAX_SOCKETS_PER_STUDENT },
      logins: { failuresPerEmail: config.LOGIN_FAILURES_PER_EMAIL, failuresPerIp: config.LOGIN_FAILURES_PER_IP },
    },
    ws: {
      maxPayloadBytes: config.WS_MAX_PAYLOAD_BYTES,
      keepAliveMs: config.WS_KEEPALIVE_SECONDS * 1000,
      maxOperations: config.WS_MAX_OPERATIONS,
      allowQueryToken: config.WS_ALLOW_QUERY_TOKEN,
      maxBufferedBytes: config.WS_MAX_BUFFERED_BYTES,
      restartOnShutdown: clustered,
      allowedOrigins: config.ALLOWED_ORIGINS,
    },
    tickIntervalMs: config.TICK_INTERVAL_MS,
    tickBatchMs: config.TICK_BATCH_MS,
    completionSweepMs: config.COMPLETION_SWEEP_SECONDS * 1000,
    cluster:
      clustered
        ? {
            redisUrl: config.REDIS_URL!,
            streamKey: `${config.REDIS_KEY_PREFIX}events`,
            instanceId: config.INSTANCE_ID ?? randomUUID(),
            reconcileMs: config.CLUSTER_RECONCILE_SECONDS * 1000,
            heartbeatMs: config.CLUSTER_HEARTBEAT_SECONDS * 1000,
            maxSocketsPerStudent: config.WS_MAX_SOCKETS_PER_STUDENT,
          }
        : undefined,
  });
}
