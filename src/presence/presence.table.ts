import type { ColumnType } from 'kysely';

/**
 * `instances`: the members of a cluster, one row per running instance (cluster mode only).
 * `heartbeat_at` is written every CLUSTER_HEARTBEAT_SECONDS with PostgreSQL's `now()`; an
 * instance whose heartbeat is older than three periods is dead, and the others retire its
 * sockets.
 */
export interface InstanceTable {
  id: string;
  started_at: ColumnType<Date, Date | undefined, never>;
  heartbeat_at: ColumnType<Date, Date | undefined, Date>;
}

/**
 * `ws_connections`: one row per authenticated socket open on a live instance (cluster mode
 * only): who is connected anywhere, and how many sockets each student has across instances.
 */
export interface WsConnectionTable {
  id: string;
  user_id: string;
  instance_id: string;
  opened_at: ColumnType<Date, Date | undefined, never>;
}

/**
 * `presence_pending`: students with no socket on any live instance whose RUNNING session is
 * paused at `lost_at` once `due_at` (lost_at + DISCONNECT_GRACE_SECONDS) has passed, unless a
 * socket of theirs opens first (which deletes the row).
 */
export interface PresencePendingTable {
  user_id: string;
  lost_at: Date;
  due_at: Date;
}
