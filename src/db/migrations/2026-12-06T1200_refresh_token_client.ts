import type { Kysely } from 'kysely';

// A spent refresh token presented again within the reuse grace used to be refused without a
// revocation, whoever presented it: a thief who refreshed first kept the log-in. Each token now
// remembers the client that spent it (a hash of its address and user agent), so that reuse by
// another client counts as theft. Tokens spent before this migration have none, and keep the
// old rule for the few seconds of grace they have left.

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('refresh_tokens').addColumn('used_by_client', 'text').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('refresh_tokens').dropColumn('used_by_client').execute();
}
