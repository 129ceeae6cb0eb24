import type { GraphQLResponse } from '@apollo/server';
import { type DocumentNode, GraphQLError, Kind, type OperationDefinitionNode, type SelectionSetNode } from 'graphql';
import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client';
import type { ClusterCounters } from '../cluster/cluster.js';
import type { EventStreamCounters } from '../cluster/event-stream.js';
import type { LagSnapshot } from '../cluster/lag-histogram.js';
import type { DatabasePoolUsage } from '../db/database.js';
import type { ClusterPresenceCounts } from '../presence/cluster-presence.js';
import type { SecurityCounters, TokenFailureCount } from '../security/security-counters.js';

/**
 * Live counts of everything connections and subscriptions hold. Each returns to zero when
 * every client has gone; logged at shutdown.
 */
export interface RealtimeStats {
  openSockets: number;
  authenticatedConnections: number;
  activeSubscriptions: number;
  tickerRegistrations: number;
  pubsubListeners: number;
  pendingDisconnectPauses: number;
}

/**
 * What the series are read from at each scrape: counts the server keeps for itself anyway, so
 * that a number on `/metrics` and the same number in `server.stats()`, the shutdown log or a test
 * can never disagree.
 */
export interface MetricSources {
  stats(): RealtimeStats;
  securityCounters(): SecurityCounters;
  tokenFailures(): TokenFailureCount[];
  ticksDelivered(): number;
  disconnectPauses(): number;
  databasePool(): DatabasePoolUsage;
  /** In cluster mode: the stream, the reconcile loop and cluster-wide presence. */
  cluster?: () => ClusterMetrics;
}

/** What `/metrics` reports of a cluster member (see README, "Metrics"). */
export interface ClusterMetrics {
  stream: EventStreamCounters;
  reconcile: ClusterCounters;
  lag: LagSnapshot;
  presence: ClusterPresenceCounts;
}

/** `operation` of a request that never resolved to one valid operation (unparsable, invalid, refused before). */
const UNRESOLVED = 'unresolved';
/** `operation` of an operation that selects only meta-fields: `__typename`, `__schema`, `__type`. */
const INTROSPECTION = 'introspection';

/**
 * Every label set of `studyclock_auth_failures_total`: each is reported from 0, so that
 * Prometheus's `increase()` sees the first failure (a series that appears at 1 has no earlier
 * sample to increase from). A new reason or transport fails to compile here until it is added.
 */
const tokenFailureTransports: Record<TokenFailureCount['transport'], true> = { http: true, ws: true };
const tokenFailureReasons: Record<TokenFailureCount['reason'], true> = { malformed: true, invalid: true, expired: true, revoked: true };

/** Each live count of {@link RealtimeStats} as a gauge: a new count needs its series here. */
const realtimeGauges: Record<keyof RealtimeStats, { name: string; help: string }> = {
  openSockets: { name: 'studyclock_open_sockets', help: 'WebSockets open on /graphql, authenticated or not.' },
  authenticatedConnections: {
    name: 'studyclock_authenticated_connections',
    help: 'WebSockets whose connection_init was accepted (a student is known).',
  },
  activeSubscriptions: { name: 'studyclock_active_subscriptions', help: 'timerUpdated and activeSessionUpdated subscriptions in progress.' },
  tickerRegistrations: {
    name: 'studyclock_ticking_sessions',
    help: 'Sessions the tick scheduler ticks for their subscribers (one per session, however many subscribers).',
  },
  pubsubListeners: { name: 'studyclock_pubsub_listeners', help: 'Listeners on the in-process pubsub of session updates.' },
  pendingDisconnectPauses: {
    name: 'studyclock_pending_disconnect_pauses',
    help: 'Students without a socket whose session pause is scheduled (within DISCONNECT_GRACE_SECONDS) or being written.',
  },
};

/**
 * Where each {@link SecurityCounters} count is exposed: as a `limit` of
 * `studyclock_rate_limit_rejections_total`, or as a counter of its own. `tokenFailures` is
 * `studyclock_auth_failures_total`, by transport and reason.
 */
const securitySeries: Record<Exclude<keyof SecurityCounters, 'tokenFailures'>, { limit: string } | { name: string; help: string }> = {
  upgradesRefused: { limit: 'ws_upgrade' },
  connectionsRefused: { limit: 'ws_sockets_per_student' },
  operationsRefused: { limit: 'operations' },
  loginsRefused: { limit: 'login_delay' },
  addressesRefused: { limit: 'token_failures_per_address' },
  loginFailures: { name: 'studyclock_login_failures_total', help: 'Log-ins answered INVALID_CREDENTIALS.' },
  originsRefused: {
    name: 'studyclock_ws_origins_refused_total',
    help: 'WebSocket upgrades refused with 403: the access cookie from an origin not in ALLOWED_ORIGINS.',
  },
  slowConsumersClosed: { name: 'studyclock_ws_slow_consumers_closed_total', help: 'WebSockets closed with 1013 Slow consumer.' },
  scrapesRefused: { name: 'studyclock_metrics_scrapes_refused_total', help: 'Scrapes of /metrics answered 401: no METRICS_TOKEN, or a wrong one.' },
};

/** One value of a series, with its labels. */
interface Reading {
  labels: Record<string, string | number>;
  value: number;
}

/**
 * The metrics of one server, in a registry of its own (tests run many servers in one process),
 * plus the process-wide series of {@link processRegistry}. Everything but HTTP operations is
 * read from {@link MetricSources} at scrape time; the registry is emptied by {@link close}.
 */
export class ServerMetrics {
  readonly #registry = new Registry();
  readonly #scraped: Registry;
  readonly #httpRequests: Counter<'operation' | 'outcome'>;

  constructor(sources: MetricSources) {
    const registry = this.#registry;
    this.#httpRequests = new Counter({
      name: 'studyclock_http_requests_total',
      help: 'GraphQL operations answered over HTTP (each operation of a batch), by operation (its type and first root field, e.g. "mutation startSession"; "introspection" when it selects only __typename, __schema or __type; "unresolved" when the request never resolved to one valid operation) and outcome ("ok", or the code of the first error).',
      labelNames: ['operation', 'outcome'],
      registers: [registry],
    });
    for (const [key, { name, help }] of Object.entries(realtimeGauges)) {
      readOnScrape(registry, 'gauge', name, help, () => sources.stats()[key as keyof RealtimeStats]);
    }
    readOnScrape(registry, 'counter', 'studyclock_ticks_delivered_total', 'timerUpdated ticks handed to subscribers, one per subscriber and tick.', sources.ticksDelivered);
    readOnScrape(
      registry,
      'counter',
      'studyclock_disconnect_pauses_total',
      'RUNNING sessions paused (reason DISCONNECT) because their student had no socket for DISCONNECT_GRACE_SECONDS.',
      sources.disconnectPauses,
    );
    readOnScrape(
      registry,
      'counter',
      'studyclock_auth_failures_total',
      'Access tokens refused, over HTTP or at connection_init, by reason (malformed, invalid, expired, revoked); a missing token is not counted.',
      () => {
        const counts = new Map(sources.tokenFailures().map(({ transport, reason, count }) => [`${transport} ${reason}`, count]));
        return Object.keys(tokenFailureTransports).flatMap((transport) =>
          Object.keys(tokenFailureReasons).map((reason) => ({ labels: { transport, reason }, value: counts.get(`${transport} ${reason}`) ?? 0 })),
        );
      },
      ['transport', 'reason'],
    );
    const limits = Object.entries(securitySeries).flatMap(([key, s]) => ('limit' in s ? [{ key: key as keyof SecurityCounters, limit: s.limit }] : []));
    readOnScrape(
      registry,
      'counter',
      'studyclock_rate_limit_rejections_total',
      'Requests, upgrades, sockets, operations and log-ins refused by an abuse limit, by limit.',
      // Every limit, from 0: see tokenFailureReasons.
      () => {
        const counters = sources.securityCounters();
        return limits.map(({ key, limit }) => ({ labels: { limit }, value: counters[key] }));
      },
      ['limit'],
    );
    for (const [key, s] of Object.entries(securitySeries)) {
      if ('name' in s) readOnScrape(registry, 'counter', s.name, s.help, () => sources.securityCounters()[key as keyof SecurityCounters]);
    }
    readOnScrape(registry, 'gauge', 'studyclock_db_pool_max_connections', 'Most database connections that may be open (1: the embedded database).', () => sources.databasePool().max);
    // The pool's kind never changes: the embedded database has no series it cannot fill.
    if (sources.databasePool().connections) {
      const connections = () => sources.databasePool().connections ?? { idle: 0, busy: 0, waiting: 0 };
      readOnScrape(
        registry,
        'gauge',
        'studyclock_db_pool_connections',
        'Open connections of the pg pool, idle or busy.',
        () => {
          const { idle, busy } = connections();
          return [
            { labels: { state: 'idle' }, value: idle },
            { labels: { state: 'busy' }, value: busy },
          ];
        },
        ['state'],
      );
      readOnScrape(registry, 'gauge', 'studyclock_db_pool_waiting_queries', 'Queries waiting for a free connection of the pg pool.', () => connections().waiting);
    }
    if (sources.cluster) registerClusterSeries(registry, sources.cluster);
    this.#scraped = Registry.merge([processRegistry(), registry]);
  }

  /**
   * Counts an HTTP operation whose response is being sent (whatever failed on the way). With
   * {@link requestRefused}, every request is counted once: see `metricsPlugin` in
   * `http/apollo-plugins.ts`.
   */
  operationAnswered(operation: OperationDefinitionNode | undefined, document: DocumentNode | undefined, body: GraphQLResponse['body']): void {
    this.#httpRequests.inc({ operation: operationLabel(operation, document), outcome: outcomeOf(body) });
  }

  /** Counts a request Apollo refused before any operation: a context that failed (RATE_LIMITED, SERVICE_UNAVAILABLE) or a malformed request (BAD_REQUEST). */
  requestRefused(error: Error): void {
    this.#httpRequests.inc({ operation: UNRESOLVED, outcome: codeOf(error) });
  }

  /** `Content-Type` of {@link scrape}'s text: Prometheus's text format 0.0.4. */
  get contentType(): string {
    return this.#scraped.contentType;
  }

  /** Every series, this server's and the process's, in the text exposition format. */
  scrape(): Promise<string> {
    return this.#scraped.metrics();
  }

  /** Drops every series (and with them the sources they read). */
  close(): void {
    this.#scraped.clear();
    this.#registry.clear();
  }

}

/**
 * The `operation` label of a resolved operation: its type and its first root field other than
 * a meta-field, after fragments (`mutation startSession`), or `introspection` when it has only
 * meta-fields. Apollo resolves an operation only once its document has passed validation, so
 * the field is one of the schema's root fields: unlike operation names, which clients choose at
 * will, the label cannot take more values than the schema has root fields (and validation has
 * ruled out fragment cycles).
 */
function operationLabel(operation: OperationDefinitionNode | undefined, document: DocumentNode | undefined): string {
  if (!operation || !document) return UNRESOLVED;
  const fragments = new Map(document.definitions.flatMap((d) => (d.kind === Kind.FRAGMENT_DEFINITION ? [[d.name.value, d.selectionSet] as const] : [])));
  const field = firstRootField(operation.selectionSet, fragments);
  return field === undefined ? INTROSPECTION : `${operation.operation} ${field}`;
}

function firstRootField(selectionSet: SelectionSetNode, fragments: ReadonlyMap<string, SelectionSetNode>): string | undefined {
  for (const selection of selectionSet.selections) {
    let field: string | undefined;
    if (selection.kind === Kind.FIELD) field = selection.name.value.startsWith('__') ? undefined : selection.name.value;
    else if (selection.kind === Kind.INLINE_FRAGMENT) field = firstRootField(selection.selectionSet, fragments);
    else {
      const spread = fragments.get(selection.name.value);
      field = spread && firstRootField(spread, fragments);
    }
    if (field !== undefined) return field;
  }
  return undefined;
}

/** The series of a cluster member, read from `read` at each scrape. */
function registerClusterSeries(registry: Registry, read: () => ClusterMetrics): void {
  const counter = (name: string, help: string, value: (m: ClusterMetrics) => number) => readOnScrape(registry, 'counter', name, help, () => value(read()));
  const gauge = (name: string, help: string, value: (m: ClusterMetrics) => number) => readOnScrape(registry, 'gauge', name, help, () => value(read()));
  counter('studyclock_cluster_events_published_total', 'Entries this instance appended to the cluster stream (one per committed session change or revocation).', (m) => m.stream.published);
  counter(
    'studyclock_cluster_publish_failures_total',
    'Committed changes whose stream entry could not be appended (Redis away); the other instances get them by reconcile.',
    (m) => m.stream.publishFailures,
  );
  counter('studyclock_cluster_events_heard_total', 'Entries of the other instances this instance read from the stream.', (m) => m.stream.heard);
  counter(
    'studyclock_cluster_stream_gaps_total',
    'Times the reader could not be sure it missed nothing (reconnected, stream trimmed past or gone): each followed by a reconcile.',
    (m) => m.stream.gaps,
  );
  counter('studyclock_cluster_reconciles_total', 'Reconciles of the watched sessions with the database (one query each).', (m) => m.reconcile.reconciles);
  counter(
    'studyclock_cluster_reconcile_repairs_total',
    'Sessions a reconcile found newer than anything the stream had brought: changes the stream lost, repaired.',
    (m) => m.reconcile.repairs,
  );
  counter(
    'studyclock_cluster_revocation_repairs_total',
    'Log-ins and users a reconcile found ended while this instance still held their sockets (a revocation the stream lost): closed then.',
    (m) => m.reconcile.revocationRepairs,
  );
  gauge('studyclock_cluster_live_instances', 'Instances whose heartbeat is fresh, as of this instance\'s last heartbeat.', (m) => m.presence.instances);
  gauge('studyclock_cluster_sockets', 'Authenticated WebSockets on every live instance, as of this instance\'s last heartbeat.', (m) => m.presence.sockets);
  counter('studyclock_cluster_instances_retired_total', 'Dead instances (heartbeat three periods old) this instance retired.', (m) => m.presence.instancesRetired);
  counter(
    'studyclock_cluster_fenced_total',
    'Times this instance gave up its sockets (1013) because it could not write its heartbeat, or found itself retired.',
    (m) => m.presence.fenced,
  );
  // A histogram's three series, read from the cluster's own fixed buckets (prom-client's
  // Histogram only takes observations, and these are made where the changes arrive).
  const lagHelp = 'Commit on another instance (its publish instant, on its clock) to delivery to this instance\'s subscribers, seconds.';
  readOnScrape(registry, 'counter', 'studyclock_cluster_delivery_lag_seconds_bucket', lagHelp, () => read().lag.buckets.map(([le, value]) => ({ labels: { le }, value })), ['le']);
  readOnScrape(registry, 'counter', 'studyclock_cluster_delivery_lag_seconds_sum', lagHelp, () => read().lag.sum);
  readOnScrape(registry, 'counter', 'studyclock_cluster_delivery_lag_seconds_count', lagHelp, () => read().lag.count);
}

/**
 * Registers a series whose values are read from `read` at each scrape. A counter's source must
 * only grow; prom-client has no setter for counters, hence reset-then-increment.
 */
function readOnScrape(
  registry: Registry,
  kind: 'counter' | 'gauge',
  name: string,
  help: string,
  read: () => number | Reading[],
  labelNames: string[] = [],
): void {
  const readings = (): Reading[] => {
    const value = read();
    return typeof value === 'number' ? [{ labels: {}, value }] : value;
  };
  const options = { name, help, labelNames, registers: [registry] };
  if (kind === 'counter') {
    new Counter({
      ...options,
      collect() {
        this.reset();
        for (const { labels, value } of readings()) this.inc(labels, value);
      },
    });
  } else {
    new Gauge({
      ...options,
      collect() {
        this.reset();
        for (const { labels, value } of readings()) this.set(labels, value);
      },
    });
  }
}

/** "ok", or the code of the first error (formatError gives every error one of a fixed set). */
function outcomeOf(body: GraphQLResponse['body']): string {
  const errors = body.kind === 'single' ? body.singleResult.errors : body.initialResult.errors;
  const first = errors?.[0];
  return first ? String(first.extensions?.code ?? 'INTERNAL_SERVER_ERROR') : 'ok';
}

/** The code Apollo answers `error` with: its own, or INTERNAL_SERVER_ERROR. */
function codeOf(error: Error): string {
  return error instanceof GraphQLError && typeof error.extensions.code === 'string' ? error.extensions.code : 'INTERNAL_SERVER_ERROR';
}

let processSeries: Registry | undefined;

/**
 * How often the event-loop delay is sampled (prom-client's default: 10 ms). Each sample is a
 * timer of its own that wakes the process: at 100 a second that cost an idle server about 7 ms
 * of CPU a second on the benchmark machine, a tenth of its whole budget at 1,000 ticking
 * subscribers. Every stall of 100 ms or more is still seen; a shorter one is sampled in
 * proportion to its length, which over a scrape interval still shows in the percentiles.
 */
const EVENT_LOOP_SAMPLE_MS = 100;

/**
 * The process's own series, prom-client's defaults (`process_*` CPU, memory, file descriptors;
 * `nodejs_*` heap, GC, handles, and event-loop delay: `nodejs_eventloop_lag_seconds` and its
 * `_p50`/`_p90`/`_p99`/`_min`/`_max`/`_mean`/`_stddev` since the previous scrape), made on first
 * use and shared by every server of the process. They describe the process, not a server; and
 * prom-client cannot stop what they start (lib/metrics/eventLoopLag.js enables a
 * monitorEventLoopDelay histogram that nothing disables, gc.js a PerformanceObserver that nothing
 * disconnects), so one set per server would pile up samplers in a process that starts many (the
 * tests). Both are unref'd by Node: they never keep the process alive.
 */
function processRegistry(): Registry {
  if (!processSeries) {
    processSeries = new Registry();
    collectDefaultMetrics({ register: processSeries, eventLoopMonitoringPrecision: EVENT_LOOP_SAMPLE_MS });
  }
  return processSeries;
}
