import type { Kysely } from 'kysely';
import { AccountService } from '../auth/account.service.js';
import { Authenticator, type AuthenticationStrategy, BuiltInTokens, ExternalTokens } from '../auth/authenticator.js';
import { CredentialsService } from '../auth/credentials.service.js';
import type { ExternalAuth } from '../auth/external-token.js';
import { Revocations } from '../auth/revocations.js';
import type { Clock } from '../clock.js';
import { Cluster } from '../cluster/cluster.js';
import { EventStream } from '../cluster/event-stream.js';
import type { Database } from '../db/database.js';
import type { Services } from '../graphql/context.js';
import type { Logger } from '../logger.js';
import { ClusterPresence } from '../presence/cluster-presence.js';
import type { ClusterMetrics } from '../metrics/metrics.js';
import type { Presence } from '../presence/presence.js';
import { PresenceService } from '../presence/presence.service.js';
import { type CompletionSweeper, startCompletionSweeper } from '../sessions/completion-sweeper.js';
import { SessionService } from '../sessions/session.service.js';
import { TimerFeed } from '../sessions/timer-feed.js';
import { StudyStatsService } from '../stats/stats.service.js';
import { TimeZoneNames } from '../stats/time-zones.js';
import { SubjectService } from '../subjects/subject.service.js';
import { UserSettingsService } from '../users/user-settings.service.js';
import { UserService } from '../users/user.service.js';
import type { Settings } from './settings.js';

/** What {@link createServices} builds from. */
export interface ServicesOptions {
  db: Kysely<Database>;
  settings: Pick<Settings, 'credentials' | 'presence' | 'tickIntervalMs' | 'tickBatchMs' | 'completionSweepMs' | 'cluster'>;
  clock: Clock;
  logger: Logger;
  /** An external identity provider's tokens, accepted besides the built-in ones. */
  external?: ExternalAuth;
}

/** The domain services, wired to each other, and their background work. */
export interface AppServices {
  readonly services: Services;
  /** This instance's membership in the cluster; undefined on a single instance. */
  readonly cluster: Cluster | undefined;
  /** In cluster mode, what `/metrics` reports of the stream, the reconcile loop and presence. */
  readonly clusterMetrics: (() => ClusterMetrics) | undefined;
  /**
   * Starts the background work: first looks for sessions a previous run left RUNNING (their
   * students get the grace to reconnect, then are paused at their last-seen instant), then the
   * completion sweeper — in that order, so that a POMODORO left running by a crash is paused at
   * its student's last-seen instant, not completed by a sweep that got there first. A failed
   * look is logged, and the server runs on.
   */
  start(): Promise<void>;
  /** Stops the sweeper, the timer feed and presence (writing a last heartbeat). Idempotent. */
  close(): Promise<void>;
}

/**
 * Builds every domain service with what it listens to passed to its constructor, so that none
 * is ever half-wired. The cycles of the domain (the feed completes sessions, sessions tell the
 * feed; presence pauses sessions, sessions ask presence whether a pause is pending) are closed
 * by callbacks that are only called after construction.
 */
export function createServices(options: ServicesOptions): AppServices {
  const { db, settings, clock, logger } = options;
  const cluster = settings.cluster
    ? new Cluster(new EventStream({ redisUrl: settings.cluster.redisUrl, key: settings.cluster.streamKey, instanceId: settings.cluster.instanceId }, logger), settings.cluster.reconcileMs, logger)
    : undefined;
  const revocations = new Revocations(cluster);
  const timerFeed = new TimerFeed(
    clock,
    { intervalMs: settings.tickIntervalMs, batchMs: settings.tickBatchMs },
    async (sessionId, now) => {
      const completed = await sessions.completeExpired(now, { sessionId });
      // Another instance completed it first: read its final state rather than try again each tick.
      if (completed.length === 0) await cluster?.refresh([sessionId]);
    },
    logger,
  );
  const pause = async (userId: string, lostAt: Parameters<SessionService['pauseForDisconnect']>[1]) =>
    (await sessions.pauseForDisconnect(userId, lostAt)) !== null;
  // A cluster's presence is in PostgreSQL, one truth for every instance; one instance's in memory.
  const clusterPresence = settings.cluster
    ? new ClusterPresence({
        db,
        clock,
        logger,
        instanceId: settings.cluster.instanceId,
        graceMs: settings.presence.graceMs,
        heartbeatMs: settings.cluster.heartbeatMs,
        maxSocketsPerStudent: settings.cluster.maxSocketsPerStudent,
        pause,
      })
    : undefined;
  const presence: Presence = clusterPresence ?? new PresenceService({ db, clock, logger, ...settings.presence, pause });
  const sessions: SessionService = new SessionService(db, clock, {
    // In a cluster, committed changes reach local subscribers and the other instances.
    changes: cluster ?? timerFeed,
    completionDeferred: (userId) => presence.isPausePending(userId),
  });
  // One catalog for studyStats and the settings, so that a zone a student may choose is one
  // their statistics can be computed in.
  const timeZones = new TimeZoneNames(db);
  const strategies: AuthenticationStrategy[] = [new BuiltInTokens(db, settings.credentials)];
  if (options.external) strategies.unshift(new ExternalTokens(db, options.external, settings.credentials, logger));
  const services: Services = {
    authenticator: new Authenticator(clock, strategies),
    credentials: new CredentialsService(db, settings.credentials, clock, logger, revocations),
    account: new AccountService(db, settings.credentials, clock, logger, revocations),
    users: new UserService(db, clock, revocations),
    subjects: new SubjectService(db, clock, sessions),
    sessions,
    stats: new StudyStatsService(db, clock, sessions, { timeZones }),
    settings: new UserSettingsService(db, timeZones),
    timerFeed,
    presence,
    revocations,
  };

  let sweeper: CompletionSweeper | undefined;
  let closing: Promise<void> | undefined;
  return {
    services,
    cluster,
    clusterMetrics:
      cluster && clusterPresence
        ? () => ({ stream: cluster.streamCounters, reconcile: cluster.counters, lag: cluster.lag, presence: clusterPresence.counts })
        : undefined,
    start: async () => {
      // Before anything else runs: from here on every change committed elsewhere is heard.
      await cluster?.start({
        feed: timerFeed,
        load: (watched) => sessions.watched(watched),
        revocations: revocations.local,
        endedLogins: (held) => services.credentials.endedLogins(held),
      });
      const recovered = await presence.recover().catch((err: unknown) => {
        logger.error({ err }, 'could not look for sessions left running by a previous run');
        return 0;
      });
      if (recovered > 0) logger.info({ students: recovered }, 'sessions left running will be paused unless their students reconnect');
      if (!closing) sweeper = startCompletionSweeper(sessions, clock, logger, settings.completionSweepMs);
    },
    close: () =>
      (closing ??= (async () => {
        // The sweeper first: it may still complete a session, which the feed then publishes.
        await sweeper?.close();
        await cluster?.close();
        timerFeed.close();
        await presence.close();
      })()),
  };
}
