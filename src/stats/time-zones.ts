import type { Kysely } from 'kysely';
import type { Database } from '../db/database.js';
import { badInput } from '../errors.js';
import { listTimeZoneNames } from './stats.repository.js';

/**
 * The IANA time-zone names the database knows, read once and shared: the names `studyStats`
 * computes in are the names a student may choose in their settings, so a stored choice always
 * works there. A failed read is tried again on the next check.
 */
export class TimeZoneNames {
  #names: Promise<ReadonlySet<string>> | undefined;

  constructor(private readonly db: Kysely<Database>) {}

  /** True when `name` is a zone name of the database (exact spelling, as PostgreSQL takes it). */
  async has(name: string): Promise<boolean> {
    return (await this.#load()).has(name);
  }

  /** `name` when it is a known zone; otherwise BAD_USER_INPUT naming `field`. */
  async require(field: string, name: string): Promise<string> {
    if (!(await this.has(name))) throw badInput(field, `${field} must be an IANA time-zone name, such as Europe/Berlin`);
    return name;
  }

  #load(): Promise<ReadonlySet<string>> {
    this.#names ??= listTimeZoneNames(this.db).then(
      (names) => new Set(names),
      (err: unknown) => {
        this.#names = undefined;
        throw err;
      },
    );
    return this.#names;
  }
}
