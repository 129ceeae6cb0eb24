import { type Kysely, type QueryCreator, type RawBuilder, sql, type Transaction } from 'kysely';
import type { Database } from '../db/database.js';
import { findRunningSinceLastSeen } from './presence.repository.js';

// Presence across instances (cluster mode): every instant is PostgreSQL's `now()`, one clock
// for all instances; every decision about a student is taken under their advisory lock, so a
// socket opening on one instance and the last one closing on another are never interleaved.

/** How presence rows are judged: an instance is live while its heartbeat is younger than `livenessSeconds`. */
export interface Liveness {
  livenessSeconds: number;
}

type Db = Kysely<Database> | Transaction<Database>;

/** Takes the student's presence lock until the transaction ends. */
async function lockStudent(trx: Transaction<Database>, userId: string): Promise<void> {
  await sql`select pg_advisory_xact_lock(hashtextextended(${`studyclock.presence:${userId}`}, 0))`.execute(trx);
}

const liveSince = (livenessSeconds: number) => sql<Date>`now() - make_interval(secs => ${livenessSeconds})`;

/** What {@link liveSockets} leaves out: the sockets of an instance, or one socket. */
interface Except {
  instance?: string;
  socket?: string;
}

/** The student's sockets on live instances, leaving out `except`. */
async function liveSockets(trx: Db, userId: string, liveness: Liveness, except: Except = {}): Promise<number> {
  let query = trx
    .selectFrom('ws_connections as c')
    .innerJoin('instances as i', 'i.id', 'c.instance_id')
    .select(({ fn }) => fn.countAll<string>().as('n'))
    .where('c.user_id', '=', userId)
    .where('i.heartbeat_at', '>', liveSince(liveness.livenessSeconds));
  if (except.instance !== undefined) query = query.where('c.instance_id', '<>', except.instance);
  if (except.socket !== undefined) query = query.where('c.id', '<>', except.socket);
  return Number((await query.executeTakeFirstOrThrow()).n);
}

// Each presence event is one write statement (data-modifying CTEs): a connect writes its
// socket row and cancels a pending pause, a last disconnect deletes its row, records the
// pending pause and the last-seen instant. Under churn that is one write per connect and per
// disconnect, not two and three (issue 12's budget for presence writes).

/** Students `absent` names, for {@link absentAsOf}. */
type WithAbsent = QueryCreator<Database & { absent: { user_id: string } }>;

/**
 * The statement that marks the students of `absent` absent as of `lost`: their pause due
 * `graceSeconds` later (a pause already pending keeps the earlier loss and the later due
 * instant), and their last-seen instant.
 */
function absentAsOf(q: WithAbsent, lost: Date | RawBuilder<Date>, graceSeconds: number) {
  return q
    .with('pending', (db) =>
      db
        .insertInto('presence_pending')
        .columns(['user_id', 'lost_at', 'due_at'])
        .expression((eb) =>
          eb
            .selectFrom('absent')
            .select(['user_id', sql<Date>`cast(${lost} as timestamptz)`.as('lost_at'), sql<Date>`greatest(${lost}, now()) + make_interval(secs => ${graceSeconds})`.as('due_at')]),
        )
        .onConflict((oc) =>
          oc.column('user_id').doUpdateSet({
            lost_at: sql<Date>`least(presence_pending.lost_at, excluded.lost_at)`,
            due_at: sql<Date>`greatest(presence_pending.due_at, excluded.due_at)`,
          }),
        ),
    )
    .updateTable('users')
    .set({ last_seen_at: lost })
    .where('id', 'in', (eb) => eb.selectFrom('absent').select('user_id'));
}

/** Marks the student absent as of `lostAt` (default `now()`), as {@link absentAsOf}. */
async function markAbsent(trx: Transaction<Database>, userId: string, graceSeconds: number, lostAt?: Date): Promise<void> {
  await absentAsOf(
    trx.with('absent', (db) => db.selectNoFrom(sql<string>`${userId}::uuid`.as('user_id'))),
    lostAt ?? sql<Date>`now()`,
    graceSeconds,
  ).execute();
}

/**
 * Deletes the student's last socket row and marks them absent as of `lostAt` (default
 * `now()`), in the same statement; nothing when the row is already gone (another instance
 * retired it and decided for them). True when they were marked.
 */
async function closeLastSocket(trx: Transaction<Database>, socketId: string, graceSeconds: number, lostAt?: Date): Promise<boolean> {
  const result = await absentAsOf(
    trx.with('absent', (db) => db.deleteFrom('ws_connections').where('id', '=', socketId).returning('user_id')),
    lostAt ?? sql<Date>`now()`,
    graceSeconds,
  ).executeTakeFirst();
  return result.numUpdatedRows > 0n;
}

/**
 * Joins the cluster as `instanceId`. A row left under the same id by a previous run that did
 * not leave (a crash, then a restart with the same INSTANCE_ID) is retired first, as the others
 * would have retired it: its students are absent since its last heartbeat.
 */
export async function joinCluster(db: Kysely<Database>, instanceId: string, graceSeconds: number, liveness: Liveness): Promise<void> {
  const previous = await db.selectFrom('instances').select('heartbeat_at').where('id', '=', instanceId).executeTakeFirst();
  if (previous) await retireInstance(db, instanceId, previous.heartbeat_at, graceSeconds, liveness);
  await db
    .insertInto('instances')
    .values({ id: instanceId })
    .onConflict((oc) => oc.column('id').doUpdateSet({ heartbeat_at: sql<Date>`now()` }))
    .execute();
}

/** Writes the instance's heartbeat; false when its row is gone (the others declared it dead). */
export async function writeHeartbeat(db: Kysely<Database>, instanceId: string): Promise<boolean> {
  const row = await db.updateTable('instances').set({ heartbeat_at: sql<Date>`now()` }).where('id', '=', instanceId).returning('id').executeTakeFirst();
  return row !== undefined;
}

/** Live instances and the sockets open on them, cluster-wide. */
export async function clusterCounts(db: Kysely<Database>, liveness: Liveness): Promise<{ instances: number; sockets: number }> {
  const row = await db
    .selectFrom('instances as i')
    .leftJoin('ws_connections as c', 'c.instance_id', 'i.id')
    .select(({ fn }) => [fn.count<string>('i.id').distinct().as('instances'), fn.count<string>('c.id').as('sockets')])
    .where('i.heartbeat_at', '>', liveSince(liveness.livenessSeconds))
    .executeTakeFirstOrThrow();
  return { instances: Number(row.instances), sockets: Number(row.sockets) };
}

/**
 * Records a socket of the student on the instance, unless they already have `maxSockets` on
 * live instances (false); cancels a pending pause.
 */
export async function openSocket(
  db: Kysely<Database>,
  socket: { id: string; userId: string; instanceId: string },
  maxSockets: number,
  liveness: Liveness,
): Promise<boolean> {
  return db.transaction().execute(async (trx) => {
    await lockStudent(trx, socket.userId);
    if ((await liveSockets(trx, socket.userId, liveness)) >= maxSockets) return false;
    await trx
      .with('cancelled', (db) => db.deleteFrom('presence_pending').where('user_id', '=', socket.userId))
      .insertInto('ws_connections')
      .values({ id: socket.id, user_id: socket.userId, instance_id: socket.instanceId })
      .execute();
    return true;
  });
}

/**
 * Deletes a socket's row; when the student has no socket left on a live instance, marks them
 * absent as of `closedAt` (default `now()`). True when it did.
 */
export async function closeSocketRow(
  db: Kysely<Database>,
  socket: { id: string; userId: string },
  graceSeconds: number,
  liveness: Liveness,
  closedAt?: Date,
): Promise<boolean> {
  return db.transaction().execute(async (trx) => {
    await lockStudent(trx, socket.userId);
    if ((await liveSockets(trx, socket.userId, liveness, { socket: socket.id })) === 0) return closeLastSocket(trx, socket.id, graceSeconds, closedAt);
    await trx.deleteFrom('ws_connections').where('id', '=', socket.id).execute();
    return false;
  });
}

/** Instances other than `self` whose heartbeat is older than the liveness period. */
export async function findDeadInstances(db: Kysely<Database>, self: string, liveness: Liveness): Promise<{ id: string; heartbeatAt: Date }[]> {
  const rows = await db
    .selectFrom('instances')
    .select(['id', 'heartbeat_at'])
    .where('id', '<>', self)
    .where('heartbeat_at', '<=', liveSince(liveness.livenessSeconds))
    .execute();
  return rows.map((r) => ({ id: r.id, heartbeatAt: r.heartbeat_at }));
}

/**
 * Takes an instance out of the cluster: each student with a socket on it who has none left on
 * another live instance is absent as of `lostAt` (its last heartbeat after a crash, now at a
 * graceful leave), then its row goes — unless it wrote a heartbeat after `lostAt` meanwhile
 * (it was slow, not dead: its students are then marked absent, and it finds its row kept and
 * carries on). Returns the students marked absent.
 */
export async function retireInstance(db: Kysely<Database>, instanceId: string, lostAt: Date | undefined, graceSeconds: number, liveness: Liveness): Promise<number> {
  const users = await db.selectFrom('ws_connections').select('user_id').distinct().where('instance_id', '=', instanceId).execute();
  let absent = 0;
  for (const { user_id: userId } of users) {
    await db.transaction().execute(async (trx) => {
      await lockStudent(trx, userId);
      const deleted = await trx.deleteFrom('ws_connections').where('instance_id', '=', instanceId).where('user_id', '=', userId).executeTakeFirst();
      if (deleted.numDeletedRows === 0n) return;
      if ((await liveSockets(trx, userId, liveness, { instance: instanceId })) > 0) return;
      await markAbsent(trx, userId, graceSeconds, lostAt);
      absent++;
    });
  }
  let leave = db.deleteFrom('instances').where('id', '=', instanceId);
  // A dead instance's row goes only if it is still dead (compared in the database: `lostAt`
  // came back at millisecond precision, the column has microseconds).
  if (lostAt) leave = leave.where('heartbeat_at', '<=', liveSince(liveness.livenessSeconds));
  await leave.execute();
  return absent;
}

/** Students whose pause is pending, and whether it is due. */
export async function findPendingPauses(db: Kysely<Database>, limit: number): Promise<{ userId: string; due: boolean }[]> {
  const rows = await db
    .selectFrom('presence_pending')
    .select(['user_id', sql<boolean>`due_at <= now()`.as('due')])
    .orderBy('due_at')
    .limit(limit)
    .execute();
  return rows.map((r) => ({ userId: r.user_id, due: r.due }));
}

/**
 * Inside the transaction that pauses the student: takes their lock and their due pending pause.
 * Resolves the instant they were lost, or null when there is nothing to do (the pause is not
 * due, another instance took it, or a socket of theirs is open on a live instance: then the
 * row goes too).
 */
export async function claimDuePause(trx: Transaction<Database>, userId: string, liveness: Liveness): Promise<Date | null> {
  await lockStudent(trx, userId);
  const row = await trx
    .deleteFrom('presence_pending')
    .where('user_id', '=', userId)
    .where('due_at', '<=', sql<Date>`now()`)
    .returning('lost_at')
    .executeTakeFirst();
  if (!row) return null;
  return (await liveSockets(trx, userId, liveness)) > 0 ? null : row.lost_at;
}

/**
 * After a start: students whose session is RUNNING, who were last seen during its current run,
 * and of whom the cluster knows nothing (no socket row, no pending pause) — left by instances
 * that stopped before cluster presence, or by a single instance. Marked absent as of their
 * last-seen instant.
 */
export async function markUnaccountedAbsent(db: Kysely<Database>, graceSeconds: number): Promise<number> {
  let absent = 0;
  for (const { userId, lastSeenAt } of await findRunningSinceLastSeen(db)) {
    await db.transaction().execute(async (trx) => {
      await lockStudent(trx, userId);
      const socket = await trx.selectFrom('ws_connections').select('id').where('user_id', '=', userId).limit(1).executeTakeFirst();
      const pending = await trx.selectFrom('presence_pending').select('user_id').where('user_id', '=', userId).executeTakeFirst();
      if (socket || pending) return;
      await markAbsent(trx, userId, graceSeconds, lastSeenAt);
      absent++;
    });
  }
  return absent;
}
