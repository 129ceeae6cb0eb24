import { pino, type Logger } from 'pino';

export type { Logger };

/**
 * Paths pino removes from every log line. Tokens, cookies, passwords and hashes never reach
 * the logs, whichever object they travel in.
 */
export const redactedPaths = [
  'req.headers.authorization',
  'req.headers.cookie',
  'res.headers["set-cookie"]',
  '*.password',
  '*.passwordHash',
  '*.password_hash',
  '*.token',
  '*.accessToken',
  '*.refreshToken',
  '*.token_hash',
  'variables.input.password',
  'variables.refreshToken',
  // changePassword(current, new); deleteAccount's `password` is caught by `*.password`.
  'variables.current',
  'variables.new',
];

/** The root logger: JSON lines on stdout (or `destination`), secrets redacted. */
export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      redact: { paths: redactedPaths, censor: '[redacted]' },
      base: { service: 'studyclock' },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    destination,
  );
}

/** Names of the security events studyclock logs (field `event`), for alerting and tests. */
export type SecurityEvent =
  | 'auth.login_failed'
  | 'auth.token_rejected'
  | 'auth.refresh_rejected'
  | 'auth.refresh_reuse_detected'
  | 'auth.signup_rejected'
  | 'ws.connection_rejected'
  | 'ws.operation_rejected'
  | 'ws.origin_refused'
  | 'ws.upgrade_refused'
  | 'ws.slow_consumer'
  | 'ws.subprotocol_refused'
  | 'rate_limit.exceeded'
  | 'auth.login_throttled'
  | 'metrics.unauthorized'
  | 'account.password_refused'
  | 'account.password_changed'
  | 'account.login_revoked'
  | 'account.deleted';

/**
 * Logs a security-relevant event at `warn` in a fixed shape: `{ security: true, event, ...details }`.
 * Callers pass reasons and addresses, never a credential.
 */
export function logSecurityEvent(logger: Logger, event: SecurityEvent, details: Record<string, unknown>): void {
  logger.warn({ security: true, event, ...details }, event);
}
