/**
 * Who is connected, and what happens when a student's last socket goes: after the grace
 * without a new one, their RUNNING session is paused at the instant the last one went. One
 * instance keeps it in memory ({@link PresenceService}); a cluster keeps it in PostgreSQL
 * (`ClusterPresence`), one truth for every instance.
 */
export interface Presence {
  /**
   * Marks one more socket of `userId` open (cancelling a pending pause). Resolves its release,
   * to run when the socket closes (idempotent), or undefined when the student already has
   * WS_MAX_SOCKETS_PER_STUDENT sockets open (on every instance, in a cluster). Rejects when
   * that cannot be decided now (the database is away): the socket is refused with 1013.
   */
  admit(userId: string): Promise<(() => void) | undefined>;
  /**
   * At start-up: gives students whose session a previous run left RUNNING the grace to
   * reconnect, then pauses them at their last-seen instant. Resolves how many were found.
   */
  recover(): Promise<number>;
  /** Whether the student's pause after disconnect is pending: their session is not completed meanwhile. */
  isPausePending(userId: string): boolean;
  /** Students with a socket on this instance. */
  readonly connectedStudents: number;
  /** Pauses after disconnect pending (on this instance; in a cluster, as of the last sweep). */
  readonly pendingPauses: number;
  /** Sessions this instance paused after their student's disconnect since start-up. Only grows. */
  readonly disconnectPauses: number;
  /**
   * Adds a listener told when this instance must give up its sockets so that their clients move
   * to another instance (a cluster member that cannot write its heartbeat); returns its removal.
   */
  onFenced(listener: () => void): () => void;
  /** Stops background work; in a cluster, leaves it (its students get their grace). Idempotent. */
  close(): Promise<void>;
}
