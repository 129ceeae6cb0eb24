import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { Kysely, Transaction } from 'kysely';
import type { Clock } from '../clock.js';
import type { Database } from '../db/database.js';
import { isUniqueViolation } from '../db/failures.js';
import { AppError, badInput } from '../errors.js';
import { logSecurityEvent, type Logger } from '../logger.js';
import { findUserByEmail, findUserById, insertUser } from '../users/user.repository.js';
import { type User, toUser } from '../users/user.model.js';
import { type AccessTokenSettings, signAccessToken } from './access-token.js';
import { parseCredentials, passwordWeakness } from './credentials.js';
import { hashPassword, verifyPassword } from './password.js';
import {
  findEndedLogins,
  consumeRefreshToken,
  findRefreshToken,
  insertFamily,
  insertRefreshToken,
  type LoginClient,
  revokeFamily,
  touchFamily,
} from './refresh-token.repository.js';
import { REFRESH_REUSE_GRACE_MS, type RefreshClient, refreshClientKey, refreshReuseTheft } from './refresh-reuse.js';
import type { HeldLogins, RevocationListener } from './revocations.js';

/** Tokens handed to a client after sign-up, log-in or refresh. */
export interface AuthTokens {
  accessToken: string;
  /** Opaque, single-use; rotate it with `refreshToken`. */
  refreshToken: string;
  /** When the access token expires. */
  expiresAt: Date;
  refreshExpiresAt: Date;
  user: User;
}

/** Where a request came from, for security logs and to tell refreshing clients apart. */
export type RequestOrigin = RefreshClient;

/** Settings the credentials service needs from the configuration. */
export interface CredentialsSettings extends AccessTokenSettings {
  refreshTtlSeconds: number;
  scryptLogN: number;
}

export { REFRESH_REUSE_GRACE_MS };

/** Longest `User-Agent` a log-in keeps, in characters: enough for any real browser's. */
export const LOGIN_USER_AGENT_MAX_LENGTH = 512;

/** What a log-in keeps of the client that created or refreshed it (shown by `logIns`). */
function loginClient(origin: RequestOrigin): LoginClient {
  const userAgent = origin.userAgent ? [...origin.userAgent].slice(0, LOGIN_USER_AGENT_MAX_LENGTH).join('') : null;
  return { userAgent, address: origin.ip ?? null };
}

/** Hash of a refresh token as stored: SHA-256 is enough for 256 random bits. */
function hashRefreshToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/**
 * Accounts' credentials: sign-up, log-in, rotating refresh tokens with reuse detection, and
 * log-out. Revocations (log-out, reuse) are announced to `revocations` after they commit.
 */
export class CredentialsService {
  // Verifying against a real hash when the email is unknown keeps both failures equally slow.
  #dummyHash: Promise<string> | undefined;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly settings: CredentialsSettings,
    private readonly clock: Clock,
    private readonly logger: Logger,
    private readonly revocations: RevocationListener,
  ) {}

  /**
   * Creates an account and logs it in, in one transaction: a failure before the tokens are
   * stored leaves no account behind. BAD_USER_INPUT for a malformed email or weak password,
   * EMAIL_TAKEN when the email (case-insensitively) is in use.
   */
  async signUp(input: { email: string; password: string }, origin: RequestOrigin): Promise<AuthTokens> {
    const { email, password } = parseCredentials(input);
    const problem = passwordWeakness(password, email);
    if (problem) throw badInput('password', problem);
    // Hashed before the transaction: scrypt is slow, and no transaction should wait on it.
    const passwordHash = await hashPassword(password, this.settings.scryptLogN);
    try {
      return await this.db.transaction().execute(async (trx) => {
        const row = await insertUser(trx, { id: randomUUID(), email, passwordHash });
        return this.#startLogin(trx, toUser(row), origin);
      });
    } catch (err) {
      if (isUniqueViolation(err, 'users_email_lower_key')) {
        logSecurityEvent(this.logger, 'auth.signup_rejected', { reason: 'email_taken', ip: origin.ip });
        throw new AppError('EMAIL_TAKEN');
      }
      throw err;
    }
  }

  /**
   * Logs in. INVALID_CREDENTIALS alike for an unknown email, a wrong password, a disabled account
   * or an account of an external identity provider (it has no password).
   */
  async logIn(input: { email: string; password: string }, origin: RequestOrigin): Promise<AuthTokens> {
    const { email, password } = parseCredentials(input);
    const row = await findUserByEmail(this.db, email);
    // With no hash to check, the dummy one keeps the failure as slow as a wrong password.
    const storedHash = row?.password_hash ?? null;
    const verified = await verifyPassword(password, storedHash ?? (await this.#getDummyHash()));
    const matches = storedHash !== null && verified;
    if (!row || !matches || row.disabled_at !== null) {
      const reason = !row ? 'unknown_email' : storedHash === null ? 'no_password' : !matches ? 'wrong_password' : 'user_disabled';
      logSecurityEvent(this.logger, 'auth.login_failed', { reason, ip: origin.ip, userId: row?.id });
      throw new AppError('INVALID_CREDENTIALS');
    }
    return this.db.transaction().execute((trx) => this.#startLogin(trx, toUser(row), origin));
  }

  /**
   * Exchanges a refresh token for a new pair. The presented token is spent; presenting a spent
   * token again more than {@link REFRESH_REUSE_GRACE_MS} after its use, or from another client
   * within it (see `refreshReuseTheft`), revokes its whole family (every device of that log-in
   * must log in again). UNAUTHENTICATED for an unknown, expired,
   * spent or revoked token. Spending the presented token and storing its successor is one
   * transaction: a failure in between leaves the presented token unspent, so the log-in survives.
   */
  async refresh(refreshToken: string, origin: RequestOrigin): Promise<AuthTokens> {
    const tokenHash = hashRefreshToken(refreshToken);
    const client = refreshClientKey(origin);
    const now = this.clock.now();
    // The consumed row stays locked until commit, so a concurrent refresh of the same token
    // waits, then finds it spent (moments ago) as before. The refusal is handled after this
    // transaction, on its own, so a revocation for reuse commits although the request fails.
    const issued = await this.db.transaction().execute(async (trx) => {
      const consumed = await consumeRefreshToken(trx, tokenHash, now, client);
      if (!consumed) return undefined;
      const row = await findUserById(trx, consumed.userId);
      if (!row) throw new AppError('UNAUTHENTICATED', 'Refresh token is invalid, expired or already used');
      await touchFamily(trx, consumed.familyId, now, loginClient(origin));
      return this.#issue(trx, toUser(row), consumed.familyId);
    });
    if (!issued) {
      const stored = await findRefreshToken(this.db, tokenHash);
      const theft = stored?.usedAt ? refreshReuseTheft({ usedAt: stored.usedAt, usedByClient: stored.usedByClient }, client, now) : null;
      if (stored && theft) {
        await revokeFamily(this.db, stored.familyId, 'refresh_token_reuse', now);
        this.revocations.loginRevoked(stored.familyId);
        logSecurityEvent(this.logger, 'auth.refresh_reuse_detected', {
          ip: origin.ip,
          userId: stored.userId,
          familyId: stored.familyId,
          reason: theft,
        });
      } else {
        const reason = stored?.usedAt ? 'used_moments_ago' : stored ? 'expired_or_revoked' : 'unknown';
        logSecurityEvent(this.logger, 'auth.refresh_rejected', { ip: origin.ip, reason });
      }
      throw new AppError('UNAUTHENTICATED', 'Refresh token is invalid, expired or already used');
    }
    return issued;
  }

  /**
   * Of these log-ins and users (the ones with live sockets on an instance), those that have ended:
   * what the cluster's reconcile closes when the stream did not tell (see `Cluster`).
   */
  endedLogins(held: HeldLogins): ReturnType<typeof findEndedLogins> {
    return findEndedLogins(this.db, held);
  }

  /** Ends a log-in: its refresh tokens and access tokens stop working at once. Idempotent. */
  async logOut(by: { refreshToken: string } | { familyId: string }): Promise<void> {
    const now = this.clock.now();
    const familyId =
      'familyId' in by ? by.familyId : (await findRefreshToken(this.db, hashRefreshToken(by.refreshToken)))?.familyId;
    if (!familyId) return;
    await revokeFamily(this.db, familyId, 'logout', now);
    this.revocations.loginRevoked(familyId);
  }

  /** Starts a log-in of `user` from `origin`: a new family and its first tokens, written with `trx`. */
  async #startLogin(trx: Transaction<Database>, user: User, origin: RequestOrigin): Promise<AuthTokens> {
    const familyId = randomUUID();
    await insertFamily(trx, { id: familyId, userId: user.id, at: this.clock.now(), client: loginClient(origin) });
    return this.#issue(trx, user, familyId);
  }

  /** Stores a new refresh token in the family with `trx` and signs an access token beside it. */
  async #issue(trx: Transaction<Database>, user: User, familyId: string): Promise<AuthTokens> {
    const now = this.clock.now();
    const refreshToken = randomBytes(32).toString('base64url');
    const refreshExpiresAt = new Date(now.getTime() + this.settings.refreshTtlSeconds * 1000);
    await insertRefreshToken(trx, {
      id: randomUUID(),
      familyId,
      tokenHash: hashRefreshToken(refreshToken),
      expiresAt: refreshExpiresAt,
    });
    const access = signAccessToken(this.settings, { userId: user.id, familyId }, now);
    return { accessToken: access.token, expiresAt: access.expiresAt, refreshToken, refreshExpiresAt, user };
  }

  #getDummyHash(): Promise<string> {
    return (this.#dummyHash ??= hashPassword(randomBytes(16).toString('hex'), this.settings.scryptLogN));
  }
}
