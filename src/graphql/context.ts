import type { Clock } from '../clock.js';
import type { AuthService, AuthTokens, Viewer } from '../auth/auth.service.js';
import type { TokenRejection } from '../auth/access-token.js';
import type { Logger } from '../logger.js';
import type { RateLimits } from '../security/rate-limits.js';
import type { SessionService } from '../sessions/session.service.js';
import type { StudyStatsService } from '../stats/stats.service.js';
import type { SubjectService } from '../subjects/subject.service.js';
import type { TimerFeed } from '../sessions/timer-feed.js';
import type { UserSettingsService } from '../users/user-settings.service.js';

/** The domain services, one instance each per server, shared by every transport. */
export interface Services {
  auth: AuthService;
  subjects: SubjectService;
  sessions: SessionService;
  /** Study statistics (`studyStats`). */
  stats: StudyStatsService;
  /** Settings and study goals of students. */
  settings: UserSettingsService;
  /** Live timer updates (the `timerUpdated` subscription). */
  timer: TimerFeed;
}

/**
 * Reads and writes the auth cookies of the current HTTP exchange. Absent on transports that
 * have no cookies to set (a WebSocket after its upgrade).
 */
export interface AuthCookieJar {
  /** The refresh token from the refresh cookie, if the request carried one. */
  readonly refreshToken: string | undefined;
  /** Sets both cookies on the response. */
  set(tokens: AuthTokens): void;
  /** Expires both cookies on the response. */
  clear(): void;
}

/** What every resolver receives. Built once per operation by the transport. */
export interface GraphQLContext {
  services: Services;
  logger: Logger;
  clock: Clock;
  /** The authenticated caller, or null with the reason in `authFailure`. */
  viewer: Viewer | null;
  authFailure: TokenRejection | null;
  /** Client address, for security logs. */
  ip: string | undefined;
  cookies: AuthCookieJar | null;
  /** Abuse limits (log-in delays); the transports apply the rest before a resolver runs. */
  rateLimits: RateLimits;
}
