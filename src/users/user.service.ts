import type { Kysely } from 'kysely';
import type { Viewer } from '../auth/authenticator.js';
import type { RevocationListener } from '../auth/revocations.js';
import type { Clock } from '../clock.js';
import type { Database } from '../db/database.js';
import { AppError } from '../errors.js';
import { type User, toUser } from './user.model.js';
import { disableUser, findUserById } from './user.repository.js';

/** Accounts as the rest of the product sees them. */
export class UserService {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly clock: Clock,
    private readonly revocations: RevocationListener,
  ) {}

  /** The account of an authenticated viewer; UNAUTHENTICATED if it has gone meanwhile. */
  async getUser(viewer: Viewer): Promise<User> {
    const row = await findUserById(this.db, viewer.userId);
    if (!row) throw new AppError('UNAUTHENTICATED');
    return toUser(row);
  }

  /** Disables an account: log-in is refused and every token of it stops working at once. */
  async disableUser(userId: string): Promise<void> {
    await disableUser(this.db, userId, this.clock.now());
    this.revocations.userDisabled(userId);
  }
}
