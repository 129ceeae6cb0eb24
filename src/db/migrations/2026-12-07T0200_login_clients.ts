import { type Kysely, sql } from 'kysely';

// Account management lists a student's log-ins (`logIns`): each log-in (refresh-token family)
// now keeps the client that created or last refreshed it (its `User-Agent` and address, in
// clear: the student is shown them to recognise their devices) and when that was. Log-ins
// created before this migration have no client; their last use is taken from their newest
// refresh token, which was issued by the last refresh (or the log-in itself).

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable('refresh_token_families')
    .addColumn('user_agent', 'text')
    .addColumn('address', 'text')
    .addColumn('last_used_at', 'timestamptz')
    .execute();
  await sql`
    update refresh_token_families f
    set last_used_at = coalesce((select max(t.created_at) from refresh_tokens t where t.family_id = f.id), f.created_at)
  `.execute(db);
  await db.schema
    .alterTable('refresh_token_families')
    .alterColumn('last_used_at', (c) => c.setNotNull())
    .alterColumn('last_used_at', (c) => c.setDefault(sql`now()`))
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable('refresh_token_families')
    .dropColumn('user_agent')
    .dropColumn('address')
    .dropColumn('last_used_at')
    .execute();
}
