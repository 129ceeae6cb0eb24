import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { Kysely, Transaction } from 'kysely';
import { z } from 'zod';
import type { Clock } from '../clock.js';
import { isUniqueViolation, type Database } from '../db/database.js';
import { AppError, badInput } from '../errors.js';
import { logSecurityEvent, type Logger } from '../logger.js';
import { disableUser, findUserByEmail, findUserById, insertUser } from '../users/user.repository.js';
import type { User } from '../users/user.model.js';
import { toUser } from '../users/user.model.js';
import type { UserRow } from '../users/user.table.js';
import {
  type AccessTokenSettings,
  signAccessToken,
  type TokenRejection,
  verifyAccessToken,
} from './access-token.js';
import {
  EXTERNAL_IDENTITY_KEY,
  findUserByExternalIdentity,
  insertExternalIdentity,
} from './external-identity.repository.js';
import type { ExternalClaims, ExternalTokenVerifier } from './external-token.js';
import { hashPassword, verifyPassword } from './password.js';
import {
  consumeRefreshToken,
  findActiveUserForLogin,
  findRefreshToken,
  insertFamily,
  insertRefreshToken,
  revokeFamily,
} from './refresh-token.repository.js';
import { REFRESH_REUSE_GRACE_MS, type RefreshClient, refreshClientKey, refreshReuseTheft } from './refresh-reuse.js';

/** The authenticated caller of an operation. */
export interface Viewer {
  userId: string;
  /**
   * The log-in (refresh-token family) the access token belongs to; null for a token of an
   * external identity provider, whose log-ins are the provider's (no logOut here ends them).
   */
  familyId: string | null;
  /** When the server stops accepting the access token: its `exp` plus the clock tolerance. */
  tokenExpiresAt: Date;
}

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

/** Result of authenticating an access token. */
export type Authentication = { ok: true; viewer: Viewer } | { ok: false; reason: TokenRejection };

/** Told when log-ins or accounts stop being valid, so live connections can be closed. */
export interface AuthEventsListener {
  loginRevoked(familyId: string): void;
  userDisabled(userId: string): void;
}

/** Settings the auth service needs from the configuration. */
export interface AuthSettings extends AccessTokenSettings {
  refreshTtlSeconds: number;
  scryptLogN: number;
}

/** Access tokens of an external identity provider, accepted besides the built-in ones. */
export interface ExternalAuth {
  verifier: ExternalTokenVerifier;
  /** Create a user on first sight of an unknown (issuer, subject); false: refuse the token ('revoked'). */
  autoProvision: boolean;
}

export const PASSWORD_MIN_LENGTH = 10;
export const PASSWORD_MAX_LENGTH = 128;
const EMAIL_MAX_LENGTH = 254;
export { REFRESH_REUSE_GRACE_MS };

const credentialsSchema = z.object({
  email: z
    .string()
    .trim()
    .max(EMAIL_MAX_LENGTH, 'email is too long')
    .pipe(z.email('email is not a valid email address')),
  password: z.string(),
});

/** Hash of a refresh token as stored: SHA-256 is enough for 256 random bits. */
function hashRefreshToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/**
 * Accounts and credentials: sign-up, log-in, rotating refresh tokens with reuse detection,
 * log-out, and authentication of access tokens. Shared by every transport.
 */
export class AuthService {
  // Verifying against a real hash when the email is unknown keeps both failures equally slow.
  #dummyHash: Promise<string> | undefined;
  #listener: AuthEventsListener | undefined;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly settings: AuthSettings,
    private readonly clock: Clock,
    private readonly logger: Logger,
    private readonly external?: ExternalAuth,
  ) {}

  /** Sets who hears about revoked log-ins and disabled users (the WebSocket endpoint). */
  setEventsListener(listener: AuthEventsListener | undefined): void {
    this.#listener = listener;
  }

  /** Disables an account: log-in is refused and every token of it stops working at once. */
  async disableUser(userId: string): Promise<void> {
    await disableUser(this.db, userId, this.clock.now());
    this.#listener?.userDisabled(userId);
  }

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
        return this.#startLogin(trx, toUser(row));
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
    return this.db.transaction().execute((trx) => this.#startLogin(trx, toUser(row)));
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
      return this.#issue(trx, toUser(row), consumed.familyId);
    });
    if (!issued) {
      const stored = await findRefreshToken(this.db, tokenHash);
      const theft = stored?.usedAt ? refreshReuseTheft({ usedAt: stored.usedAt, usedByClient: stored.usedByClient }, client, now) : null;
      if (stored && theft) {
        await revokeFamily(this.db, stored.familyId, 'refresh_token_reuse', now);
        this.#listener?.loginRevoked(stored.familyId);
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

  /** Ends a log-in: its refresh tokens and access tokens stop working at once. Idempotent. */
  async logOut(by: { refreshToken: string } | { familyId: string }): Promise<void> {
    const now = this.clock.now();
    const familyId =
      'familyId' in by ? by.familyId : (await findRefreshToken(this.db, hashRefreshToken(by.refreshToken)))?.familyId;
    if (!familyId) return;
    await revokeFamily(this.db, familyId, 'logout', now);
    this.#listener?.loginRevoked(familyId);
  }

  /**
   * Checks an access token: signature, algorithm, expiry, issuer, audience, and that its user
   * exists, is enabled, and its log-in has not been revoked. A token whose `alg` is one of the
   * external identity provider's goes to its verifier instead (every other token, HS256 or not,
   * is judged by the built-in HS256 rules, which refuse any other algorithm), and its (issuer,
   * subject) must be linked to an enabled user, or is linked to a new one when auto-provisioning
   * is on. Throws SERVICE_UNAVAILABLE when the provider's keys cannot be fetched.
   */
  async authenticate(token: string | undefined): Promise<Authentication> {
    if (token === undefined) return { ok: false, reason: 'missing' };
    const now = this.clock.now();
    if (this.external?.verifier.handles(token)) {
      const verified = await this.external.verifier.verify(token, now);
      if (!verified.ok) return verified;
      const user = await this.#externalUser(verified.claims);
      if (!user || user.disabled_at !== null) return { ok: false, reason: 'revoked' };
      const tokenExpiresAt = this.#acceptedUntil(verified.claims.expiresAt);
      return { ok: true, viewer: { userId: user.id, familyId: null, tokenExpiresAt } };
    }
    const verified = verifyAccessToken(this.settings, token, now);
    if (!verified.ok) return verified;
    const { userId, familyId, expiresAt } = verified.claims;
    const user = await findActiveUserForLogin(this.db, userId, familyId);
    if (!user) return { ok: false, reason: 'revoked' };
    return { ok: true, viewer: { userId, familyId, tokenExpiresAt: this.#acceptedUntil(expiresAt) } };
  }

  /** The account of an authenticated viewer. */
  async getUser(viewer: Viewer): Promise<User> {
    const row = await findUserById(this.db, viewer.userId);
    if (!row) throw new AppError('UNAUTHENTICATED');
    return toUser(row);
  }

  /** The instant a token expiring at `expiresAt` stops being accepted (exclusive). */
  #acceptedUntil(expiresAt: Date): Date {
    return new Date(expiresAt.getTime() + this.settings.clockToleranceSeconds * 1000);
  }

  /**
   * The user linked to an external (issuer, subject), provisioned on first sight when that is
   * on. Concurrent first requests create one user: the losers of the race on the identity's
   * primary key roll back their user row and take the winner's.
   */
  async #externalUser(claims: ExternalClaims): Promise<UserRow | undefined> {
    const { issuer, subject } = claims;
    const linked = await findUserByExternalIdentity(this.db, issuer, subject);
    if (linked || !this.external?.autoProvision) return linked;
    const id = randomUUID();
    // Never linked to an existing account by email: the provider's email claim proves nothing
    // about who owns an account here. A taken or missing email gets a placeholder that nobody
    // can have signed up with beforehand (the new user's random id at the issuer's host).
    const placeholder = `${id}@${issuerHost(issuer)}.external`;
    const claimed = claims.email !== undefined && isEmailAddress(claims.email) ? claims.email : undefined;
    for (const email of claimed ? [claimed, placeholder] : [placeholder]) {
      try {
        const user = await this.db.transaction().execute(async (trx) => {
          const row = await insertUser(trx, { id, email, passwordHash: null });
          await insertExternalIdentity(trx, { issuer, subject, userId: id });
          return row;
        });
        this.logger.info({ userId: id, issuer }, 'external user provisioned');
        return user;
      } catch (err) {
        const identityTaken = isUniqueViolation(err, EXTERNAL_IDENTITY_KEY);
        if (!identityTaken && !isUniqueViolation(err, 'users_email_lower_key')) throw err;
        // A concurrent first request may have won (and, with the same email claim, taken the email).
        const winner = await findUserByExternalIdentity(this.db, issuer, subject);
        if (winner || identityTaken) return winner;
      }
    }
    return undefined;
  }

  /** Starts a log-in of `user`: a new family and its first tokens, written with `trx`. */
  async #startLogin(trx: Transaction<Database>, user: User): Promise<AuthTokens> {
    const familyId = randomUUID();
    await insertFamily(trx, { id: familyId, userId: user.id });
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

/** The host name of an issuer URL, for placeholder emails; issuers need not be URLs. */
function issuerHost(issuer: string): string {
  return (URL.canParse(issuer) ? new URL(issuer).hostname : '') || 'identity-provider';
}

/** True for an address signUp would accept (so a provisioned user's email is one too). */
function isEmailAddress(value: string): boolean {
  return credentialsSchema.shape.email.safeParse(value).success;
}

function parseCredentials(input: { email: string; password: string }): { email: string; password: string } {
  const parsed = credentialsSchema.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw badInput(String(issue?.path[0] ?? 'input'), issue?.message ?? 'Invalid input');
  }
  return parsed.data;
}

/**
 * Why a password is too weak to accept, or undefined. Rules (NIST SP 800-63B in spirit): length
 * between {@link PASSWORD_MIN_LENGTH} and {@link PASSWORD_MAX_LENGTH}, not mostly one repeated
 * character, and not containing the email's local part.
 */
export function passwordWeakness(password: string, email: string): string | undefined {
  const length = [...password].length;
  if (length < PASSWORD_MIN_LENGTH) return `password must be at least ${PASSWORD_MIN_LENGTH} characters`;
  if (length > PASSWORD_MAX_LENGTH) return `password must be at most ${PASSWORD_MAX_LENGTH} characters`;
  if (new Set(password).size < 5) return 'password must use at least 5 different characters';
  const local = email.split('@')[0]?.toLowerCase() ?? '';
  if (local.length >= 4 && password.toLowerCase().includes(local)) return 'password must not contain your email';
  return undefined;
}
