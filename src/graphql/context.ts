import type { Clock } from '../clock.js';
import type { AccountService } from '../auth/account.service.js';
import type { Authenticator, Viewer } from '../auth/authenticator.js';
import type { AuthTokens, CredentialsService } from '../auth/credentials.service.js';
import type { Revocations } from '../auth/revocations.js';
import type { TokenRejection } from '../auth/access-token.js';
import type { Logger } from '../logger.js';
import type { LoginThrottle } from '../security/login-throttle.js';
import type { Presence } from '../presence/presence.js';
import type { SessionService } from '../sessions/session.service.js';
import type { StudyStatsService } from '../stats/stats.service.js';
import type { SubjectService } from '../subjects/subject.service.js';
import type { TimerFeed } from '../sessions/timer-feed.js';
import type { UserService } from '../users/user.service.js';
import type { UserSettingsService } from '../users/user-settings.service.js';

/** The domain services, one instance each per server, shared by every transport. */
export interface Services {
  /** Checks access tokens (built-in and an external provider's). */
  authenticator: Authenticator;
  /** Sign-up, log-in, refresh, log-out. */
  credentials: CredentialsService;
  /** The viewer's own account: password, log-ins, deletion. */
  account: AccountService;
  users: UserService;
  subjects: SubjectService;
  sessions: SessionService;
  /** Study statistics (`studyStats`). */
  stats: StudyStatsService;
  /** Settings and study goals of students. */
  settings: UserSettingsService;
  /** Live timer updates (the `timerUpdated` subscription). */
  timerFeed: TimerFeed;
  /** Which students are connected; pauses a session when its student's last socket goes. */
  presence: Presence;
  /** Log-ins and accounts that stopped being valid; transports subscribe to close their sockets. */
  revocations: Revocations;
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

/** The part of every operation's context that is the same for the whole server: built once per transport. */
export interface ServerContext {
  services: Services;
  logger: Logger;
  clock: Clock;
  /** Brute-force delays of log-in; the transports apply the other limits before a resolver runs. */
  logins: LoginThrottle;
}

/** What every resolver receives. Built once per operation by the transport from its {@link ServerContext}. */
export interface GraphQLContext extends ServerContext {
  /** The authenticated caller, or null with the reason in `authFailure`. */
  viewer: Viewer | null;
  authFailure: TokenRejection | null;
  /** Client address, for security logs. */
  ip: string | undefined;
  /** The client's `User-Agent` (over a WebSocket, its upgrade request's): tells refreshing clients apart. */
  userAgent: string | undefined;
  cookies: AuthCookieJar | null;
}
