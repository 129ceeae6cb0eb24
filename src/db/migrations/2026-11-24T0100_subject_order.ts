import type { Kysely } from 'kysely';

// "Oldest first" needs a tie-breaker that follows insertion: the embedded database's `now()`
// has millisecond resolution, so subjects created in one millisecond shared `created_at` and came
// back in the order of their random ids. `created_seq` counts insertions; existing rows are
// numbered in storage order, and `created_at` still orders them first.

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable('subjects')
    .addColumn('created_seq', 'bigint', (c) => c.notNull().generatedAlwaysAsIdentity())
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('subjects').dropColumn('created_seq').execute();
}
