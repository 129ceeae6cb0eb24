import { type Kysely, sql } from 'kysely';

// Presence shared by the instances of a cluster: the instances with their heartbeats, one row
// per open socket, and the students whose last socket went and who are paused once their grace
// is over. The tables stay empty on a single instance, whose presence is in memory.

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('instances')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('started_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('heartbeat_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema
    .createTable('ws_connections')
    .addColumn('id', 'uuid', (c) => c.primaryKey())
    .addColumn('user_id', 'uuid', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('instance_id', 'text', (c) => c.notNull().references('instances.id').onDelete('cascade'))
    .addColumn('opened_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema.createIndex('ws_connections_user_idx').on('ws_connections').column('user_id').execute();
  await db.schema.createIndex('ws_connections_instance_idx').on('ws_connections').column('instance_id').execute();
  await db.schema
    .createTable('presence_pending')
    .addColumn('user_id', 'uuid', (c) => c.primaryKey().references('users.id').onDelete('cascade'))
    .addColumn('lost_at', 'timestamptz', (c) => c.notNull())
    .addColumn('due_at', 'timestamptz', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('presence_pending_due_idx').on('presence_pending').column('due_at').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('presence_pending').execute();
  await db.schema.dropTable('ws_connections').execute();
  await db.schema.dropTable('instances').execute();
}
