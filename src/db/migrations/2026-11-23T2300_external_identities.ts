import { type Kysely, sql } from 'kysely';

// Access tokens of an external identity provider name their user by (issuer, subject); this
// table maps that pair to a studyclock user. Such users have no password here: password_hash
// becomes nullable, and a null hash never matches (logIn answers INVALID_CREDENTIALS).

/** Stands in for a missing password when reverting: not a scrypt string, so it never matches. */
const NO_PASSWORD_MARKER = '!external-identity-no-password';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('users').alterColumn('password_hash', (c) => c.dropNotNull()).execute();
  await db.schema
    .createTable('external_identities')
    .addColumn('issuer', 'text', (c) => c.notNull())
    .addColumn('subject', 'text', (c) => c.notNull())
    .addColumn('user_id', 'uuid', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    // One user per (issuer, subject), whatever the interleaving of concurrent first requests.
    .addPrimaryKeyConstraint('external_identities_pkey', ['issuer', 'subject'])
    .execute();
  await db.schema.createIndex('external_identities_user_idx').on('external_identities').column('user_id').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('external_identities').execute();
  // Users created by an identity provider stay (with their subjects and sessions), unable to log in.
  await db.updateTable('users').set({ password_hash: NO_PASSWORD_MARKER }).where('password_hash', 'is', null).execute();
  await db.schema.alterTable('users').alterColumn('password_hash', (c) => c.setNotNull()).execute();
}
