import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Clock } from '../clock.js';
import type { Database } from '../db/database.js';
import { isUniqueViolation } from '../db/failures.js';
import { ReadBatcher } from '../db/read-batcher.js';
import type { Logger } from '../logger.js';
import { insertUser } from '../users/user.repository.js';
import type { UserRow } from '../users/user.table.js';
import { type AccessTokenSettings, type TokenRejection, verifyAccessToken } from './access-token.js';
import { isEmailAddress } from './credentials.js';
import { EXTERNAL_IDENTITY_KEY, findUserByExternalIdentity, insertExternalIdentity } from './external-identity.repository.js';
import type { ExternalAuth, ExternalClaims } from './external-token.js';
import { findActiveLogins } from './refresh-token.repository.js';

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

/** Result of authenticating an access token. */
export type Authentication = { ok: true; viewer: Viewer } | { ok: false; reason: TokenRejection };

/**
 * One way of accepting access tokens. The {@link Authenticator} asks each strategy in turn
 * whether a token is its kind (from the header alone, without verifying), and the first that
 * says so decides.
 */
export interface AuthenticationStrategy {
  /** Whether this strategy judges `token` (cheap: reads the header only). */
  handles(token: string): boolean;
  /** Verifies `token` and finds its user. Throws SERVICE_UNAVAILABLE when it cannot tell (keys unreachable). */
  authenticate(token: string, now: Date): Promise<Authentication>;
}

/** How long past its `exp` a token is still accepted. */
export interface ToleranceSettings {
  clockToleranceSeconds: number;
}

/** The instant a token expiring at `expiresAt` stops being accepted (exclusive): `exp` plus the clock tolerance. */
function acceptedUntil(settings: ToleranceSettings, expiresAt: Date): Date {
  return new Date(expiresAt.getTime() + settings.clockToleranceSeconds * 1000);
}

/**
 * The built-in access tokens: HS256 with JWT_SECRET and nothing else (so `alg: none`, or HS256
 * "signed" with a provider's public key, is refused). Handles every token no other strategy
 * took, so it goes last. The user must exist, be enabled, and the log-in not be revoked: the
 * tokens checked in one turn of the event loop (a reconnect burst) are looked up in one query.
 */
export class BuiltInTokens implements AuthenticationStrategy {
  readonly #logins: ReadBatcher<{ userId: string; familyId: string }, boolean>;

  constructor(
    db: Kysely<Database>,
    private readonly settings: AccessTokenSettings,
  ) {
    this.#logins = new ReadBatcher((logins) => findActiveLogins(db, logins));
  }

  handles(): boolean {
    return true;
  }

  async authenticate(token: string, now: Date): Promise<Authentication> {
    const verified = verifyAccessToken(this.settings, token, now);
    if (!verified.ok) return verified;
    const { userId, familyId, expiresAt } = verified.claims;
    if (!(await this.#logins.load({ userId, familyId }))) return { ok: false, reason: 'revoked' };
    return { ok: true, viewer: { userId, familyId, tokenExpiresAt: acceptedUntil(this.settings, expiresAt) } };
  }
}

/**
 * Access tokens of an external identity provider (those whose `alg` is one of its algorithms),
 * checked by its verifier. The token's (issuer, subject) must be linked to an enabled user, or
 * is linked to a new one when auto-provisioning is on.
 */
export class ExternalTokens implements AuthenticationStrategy {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly external: ExternalAuth,
    private readonly settings: ToleranceSettings,
    private readonly logger: Logger,
  ) {}

  handles(token: string): boolean {
    return this.external.verifier.handles(token);
  }

  async authenticate(token: string, now: Date): Promise<Authentication> {
    const verified = await this.external.verifier.verify(token, now);
    if (!verified.ok) return verified;
    const user = await this.#externalUser(verified.claims);
    if (!user || user.disabled_at !== null) return { ok: false, reason: 'revoked' };
    return { ok: true, viewer: { userId: user.id, familyId: null, tokenExpiresAt: acceptedUntil(this.settings, verified.claims.expiresAt) } };
  }

  /**
   * The user linked to an external (issuer, subject), provisioned on first sight when that is
   * on. Concurrent first requests create one user: the losers of the race on the identity's
   * primary key roll back their user row and take the winner's.
   */
  async #externalUser(claims: ExternalClaims): Promise<UserRow | undefined> {
    const { issuer, subject } = claims;
    const linked = await findUserByExternalIdentity(this.db, issuer, subject);
    if (linked || !this.external.autoProvision) return linked;
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
}

/**
 * Authenticates access tokens over every transport: the first strategy that handles a token
 * judges it (an external provider's first, then the built-in one, which handles the rest).
 */
export class Authenticator {
  readonly #strategies: readonly AuthenticationStrategy[];

  constructor(
    private readonly clock: Clock,
    strategies: readonly AuthenticationStrategy[],
  ) {
    this.#strategies = strategies;
  }

  /**
   * Checks an access token: signature, algorithm, expiry, issuer, audience, and that its user
   * exists, is enabled, and its log-in has not been revoked. `missing` without a token. Throws
   * SERVICE_UNAVAILABLE when the identity provider's keys cannot be fetched.
   */
  async authenticate(token: string | undefined): Promise<Authentication> {
    if (token === undefined) return { ok: false, reason: 'missing' };
    const strategy = this.#strategies.find((s) => s.handles(token));
    if (!strategy) return { ok: false, reason: 'invalid' };
    return strategy.authenticate(token, this.clock.now());
  }
}

/** The host name of an issuer URL, for placeholder emails; issuers need not be URLs. */
function issuerHost(issuer: string): string {
  return (URL.canParse(issuer) ? new URL(issuer).hostname : '') || 'identity-provider';
}
