import type { Generated, Selectable } from 'kysely';

/**
 * `external_identities`: which studyclock user an external identity provider's (issuer, subject)
 * pair is. The primary key (issuer, subject) makes a first sight under concurrent requests
 * create at most one row; the user row goes with it (cascade).
 */
export interface ExternalIdentityTable {
  issuer: string;
  subject: string;
  user_id: string;
  created_at: Generated<Date>;
}

export type ExternalIdentityRow = Selectable<ExternalIdentityTable>;
