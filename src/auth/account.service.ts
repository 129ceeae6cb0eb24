import type { Kysely } from 'kysely';
import type { Clock } from '../clock.js';
import type { Database } from '../db/database.js';
import { AppError, badInput, loginNotFound } from '../errors.js';
import { parseId } from '../ids.js';
import { logSecurityEvent, type Logger } from '../logger.js';
import { deleteUser, findUserById, replacePasswordHash } from '../users/user.repository.js';
import type { UserRow } from '../users/user.table.js';
import type { Viewer } from './authenticator.js';
import type { RequestOrigin } from './credentials.service.js';
import { passwordWeakness } from './credentials.js';
import { hashPassword, verifyPassword } from './password.js';
import { listLiveFamilies, revokeOtherFamilies, revokeOwnFamily } from './refresh-token.repository.js';
import type { RevocationListener } from './revocations.js';

/** One log-in of a student, as `logIns` shows it. */
export interface LogIn {
  id: string;
  createdAt: Date;
  lastUsedAt: Date;
  userAgent: string | null;
  address: string | null;
  /** Whether it is the log-in of the viewer's access token. */
  current: boolean;
}

/** What the account service needs from the configuration. */
export interface AccountSettings {
  /** PASSWORD_SCRYPT_LOG_N, for the new password's hash. */
  scryptLogN: number;
}

/**
 * A signed-in student managing their own account: password, log-ins, deletion. Everything that
 * ends a log-in or an account is announced to `revocations` after it commits, which closes the
 * sockets concerned with 4403 at once; the access tokens stop working on their next check
 * because the log-in or the user is gone from the database.
 */
export class AccountService {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly settings: AccountSettings,
    private readonly clock: Clock,
    private readonly logger: Logger,
    private readonly revocations: RevocationListener,
  ) {}

  /**
   * Replaces the viewer's password and ends every other log-in of theirs (reason
   * `password_changed`); the viewer's own log-in stays. BAD_USER_INPUT (field `new`) for a new
   * password the sign-up rules refuse; INVALID_CREDENTIALS for a wrong `current` (or an account
   * without a password), with nothing changed.
   */
  async changePassword(viewer: Viewer, input: { current: string; new: string }, origin: RequestOrigin): Promise<void> {
    const user = await this.#userOf(viewer);
    // Judged before the password check: the answer depends only on what the viewer sent.
    const problem = passwordWeakness(input.new, user.email);
    if (problem) throw badInput('new', problem.replace(/^password/, 'the new password'));
    const expected = await this.#verifiedHash(user, input.current, 'change_password', origin);
    const replacement = await hashPassword(input.new, this.settings.scryptLogN);
    const now = this.clock.now();
    const revoked = await this.db.transaction().execute(async (trx) => {
      // A password changed meanwhile by another request makes `current` wrong: nothing is written.
      if (!(await replacePasswordHash(trx, user.id, { expected, replacement }))) return undefined;
      return revokeOtherFamilies(trx, user.id, viewer.familyId, 'password_changed', now);
    });
    if (!revoked) throw this.#refused(user.id, 'change_password', 'password_changed_meanwhile', origin);
    for (const familyId of revoked) this.revocations.loginRevoked(familyId);
    logSecurityEvent(this.logger, 'account.password_changed', { userId: user.id, ip: origin.ip, loginsEnded: revoked.length });
  }

  /** The viewer's live log-ins, most recently used first, theirs marked `current`. */
  async logIns(viewer: Viewer): Promise<LogIn[]> {
    const rows = await listLiveFamilies(this.db, viewer.userId, this.clock.now());
    return rows.map((row) => ({ ...row, current: row.id === viewer.familyId }));
  }

  /**
   * Ends one of the viewer's log-ins (reason `revoked_by_user`), the current one too.
   * BAD_USER_INPUT (field `id`) for a malformed id; NOT_FOUND alike for a log-in that is
   * missing, another student's or already ended.
   */
  async revokeLogIn(viewer: Viewer, id: string, origin: RequestOrigin): Promise<void> {
    const familyId = parseId('id', id);
    const revoked = await revokeOwnFamily(this.db, { userId: viewer.userId, familyId }, 'revoked_by_user', this.clock.now());
    if (!revoked) throw loginNotFound();
    this.revocations.loginRevoked(familyId);
    logSecurityEvent(this.logger, 'account.login_revoked', { userId: viewer.userId, familyId, ip: origin.ip });
  }

  /**
   * Deletes the viewer's account and everything of it (see `deleteUser`), then closes their
   * sockets. INVALID_CREDENTIALS for a wrong password (or an account without one), with
   * nothing deleted.
   */
  async deleteAccount(viewer: Viewer, password: string, origin: RequestOrigin): Promise<void> {
    const user = await this.#userOf(viewer);
    const expected = await this.#verifiedHash(user, password, 'delete_account', origin);
    if (!(await deleteUser(this.db, user.id, expected))) {
      throw this.#refused(user.id, 'delete_account', 'password_changed_meanwhile', origin);
    }
    this.revocations.userDeleted(user.id);
    logSecurityEvent(this.logger, 'account.deleted', { userId: user.id, ip: origin.ip });
  }

  async #userOf(viewer: Viewer): Promise<UserRow> {
    const row = await findUserById(this.db, viewer.userId);
    if (!row) throw new AppError('UNAUTHENTICATED');
    return row;
  }

  /** The user's stored hash when `password` matches it; INVALID_CREDENTIALS otherwise. */
  async #verifiedHash(user: UserRow, password: string, action: string, origin: RequestOrigin): Promise<string> {
    // An account of an external identity provider has no password here, so none can match.
    if (user.password_hash === null) throw this.#refused(user.id, action, 'no_password', origin);
    if (!(await verifyPassword(password, user.password_hash))) throw this.#refused(user.id, action, 'wrong_password', origin);
    return user.password_hash;
  }

  #refused(userId: string, action: string, reason: string, origin: RequestOrigin): AppError {
    logSecurityEvent(this.logger, 'account.password_refused', { action, reason, userId, ip: origin.ip });
    return new AppError('INVALID_CREDENTIALS', 'Password is incorrect');
  }
}
