import { WebSocket } from 'ws';
import type { Viewer } from '../auth/authenticator.js';
import type { HeldLogins, RevocationListener } from '../auth/revocations.js';
import { type Clock, systemClock } from '../clock.js';
import { Deadlines } from '../realtime/deadlines.js';
import { OperationWindow } from '../security/request-limits.js';
import { closeSocket, CloseCodes, type ForbiddenReason, ForbiddenReasons } from './close-codes.js';

/** How long a socket may stay open without sending `connection_init`: then 4408 (graphql-ws's default wait). */
export const CONNECTION_INIT_WAIT_MS = 3_000;

const NO_RELEASES: readonly (() => void)[] = Object.freeze([]);

/** The registry's two timers, each one for every socket (see Deadlines). */
interface ConnectionDeadlines {
  /** Token expiries of the authenticated sockets. */
  expiries: Deadlines<Connection>;
  /** The end of each new socket's wait for `connection_init`. */
  initWaits: Deadlines<Connection>;
}

/**
 * One socket and what is known about its student. Owns everything held on its behalf (its
 * token's expiry, the socket-cap place, the presence mark) and releases all of it when the
 * socket closes, whatever closed it.
 */
export class Connection {
  /** The socket's operations this minute (OPERATIONS_PER_CONNECTION_PER_MINUTE). */
  readonly operations = new OperationWindow();
  #viewer: Viewer | undefined;
  /** Run once when the socket has closed; the caller's own array (exactly its length), not a copy. */
  #releases: readonly (() => void)[] = NO_RELEASES;
  #released = false;

  constructor(
    readonly socket: WebSocket,
    /** The client address (TRUST_PROXY applied), for limits and security logs. */
    readonly ip: string | undefined,
    /** The upgrade request's `User-Agent`: tells refreshing clients apart. */
    readonly userAgent: string | undefined,
    /** Where the token's expiry and the wait for `connection_init` are kept. */
    private readonly deadlines: ConnectionDeadlines,
  ) {}

  /** `connection_init` has arrived: the socket is no longer waiting for it (whatever its outcome). */
  initReceived(): void {
    this.deadlines.initWaits.delete(this);
  }

  /** The student, once `connection_init` was accepted. */
  get viewer(): Viewer | undefined {
    return this.#viewer;
  }

  /**
   * Marks the connection as the student's: keeps the viewer, takes over `releases` (run at
   * close), and closes the socket with 4403 `Token expired` at the token's expiry instant. On a
   * connection already released, runs `releases` at once.
   */
  authenticated(viewer: Viewer, releases: readonly (() => void)[]): void {
    this.#viewer = viewer;
    this.#releases = this.#releases.length === 0 ? releases : [...this.#releases, ...releases];
    if (this.#released) return this.release();
    this.deadlines.expiries.set(this, viewer.tokenExpiresAt.getTime());
  }

  /** Closes the socket with 4403 and the fixed reason, unless it is already closing. */
  forbid(reason: ForbiddenReason): void {
    this.closeWith(CloseCodes.Forbidden.code, ForbiddenReasons[reason]);
  }

  /** Closes the socket with `code` and `reason`, unless it is already closing. */
  closeWith(code: number, reason: string): void {
    closeSocket(this.socket, code, reason);
  }

  /** Forgets the token's expiry (and the wait for `connection_init`) and runs every release once. Called when the socket has closed. */
  release(): void {
    this.#released = true;
    this.deadlines.initWaits.delete(this);
    this.deadlines.expiries.delete(this);
    const releases = this.#releases;
    this.#releases = NO_RELEASES;
    for (const release of releases) release();
  }
}

/**
 * The open sockets of this instance, each with its {@link Connection}. Hears revocations and
 * closes the sockets they concern with 4403.
 */
export class ConnectionRegistry implements RevocationListener {
  readonly #bySocket = new Map<WebSocket, Connection>();
  readonly #deadlines: ConnectionDeadlines;
  /** Every socket's close listener, one function for all (`this` is the socket that closed). */
  readonly #onClose: (this: WebSocket) => void;

  constructor(clock: Clock) {
    const bySocket = this.#bySocket;
    this.#onClose = function (this: WebSocket) {
      const connection = bySocket.get(this);
      bySocket.delete(this);
      connection?.release();
    };
    this.#deadlines = {
      // Tokens may live for weeks (see Deadlines). Due when its timer fires, as a timer per
      // socket was: with a test's frozen clock too.
      expiries: new Deadlines(clock, (expired) => expired.forEach((c) => c.forbid('expired')), { dueWhenFired: true }),
      // Real time, as graphql-ws's own timer per socket was (it kept a Timeout and its closure
      // for the socket's life).
      initWaits: new Deadlines(systemClock, (late) =>
        late.forEach((c) => c.closeWith(CloseCodes.ConnectionInitialisationTimeout.code, CloseCodes.ConnectionInitialisationTimeout.reason)),
      ),
    };
  }

  /**
   * Registers a new socket, which has {@link CONNECTION_INIT_WAIT_MS} to send `connection_init`
   * (4408 otherwise); its connection is released and forgotten on the socket's own close event.
   */
  open(socket: WebSocket, ip: string | undefined, userAgent: string | undefined): Connection {
    const connection = new Connection(socket, ip, userAgent, this.#deadlines);
    this.#bySocket.set(socket, connection);
    this.#deadlines.initWaits.set(connection, Date.now() + CONNECTION_INIT_WAIT_MS);
    // `on`, not `once`: a socket closes once, and `once` would cost a wrapper per socket.
    socket.on('close', this.#onClose);
    return connection;
  }

  /** The connection of an open socket; undefined once it has closed. */
  get(socket: WebSocket): Connection | undefined {
    return this.#bySocket.get(socket);
  }

  /** The open sockets. */
  sockets(): IterableIterator<WebSocket> {
    return this.#bySocket.keys();
  }

  /** Open sockets, and those of them that are authenticated. */
  get stats(): { openSockets: number; authenticatedConnections: number } {
    let authenticated = 0;
    for (const c of this.#bySocket.values()) if (c.viewer) authenticated++;
    return { openSockets: this.#bySocket.size, authenticatedConnections: authenticated };
  }

  /**
   * Runs `closeAll` (which closes every socket) and resolves when every socket open now has
   * closed. A peer that never answers the close handshake is cut off after 2 s rather than
   * waited for (ws itself would wait 30 s, and its server's close waits for every client).
   */
  async drain(closeAll: () => Promise<void>): Promise<void> {
    const sockets = [...this.#bySocket.keys()];
    const allClosed = Promise.all(sockets.map((s) => (s.readyState === WebSocket.CLOSED ? undefined : new Promise((r) => s.once('close', r)))));
    const cutoff = setTimeout(() => sockets.forEach((s) => s.terminate()), 2_000);
    try {
      await closeAll();
      await allClosed;
    } finally {
      clearTimeout(cutoff);
    }
  }

  /** The log-ins and students of the authenticated sockets. */
  held(): HeldLogins {
    const familyIds = new Set<string>();
    const userIds = new Set<string>();
    for (const { viewer } of this.#bySocket.values()) {
      if (!viewer) continue;
      userIds.add(viewer.userId);
      if (viewer.familyId) familyIds.add(viewer.familyId);
    }
    return { familyIds: [...familyIds], userIds: [...userIds] };
  }

  /** Closes every socket of a log-in with 4403 `Logged out`. */
  loginRevoked(familyId: string): void {
    this.#forbidWhere((c) => c.viewer?.familyId === familyId, 'loggedOut');
  }

  /** Closes every socket of a student with 4403 `User disabled`. */
  userDisabled(userId: string): void {
    this.#forbidWhere((c) => c.viewer?.userId === userId, 'disabled');
  }

  /** Closes every socket of a student with 4403 `Account deleted`. */
  userDeleted(userId: string): void {
    this.#forbidWhere((c) => c.viewer?.userId === userId, 'deleted');
  }

  #forbidWhere(predicate: (c: Connection) => boolean, reason: ForbiddenReason): void {
    for (const connection of this.#bySocket.values()) if (predicate(connection)) connection.forbid(reason);
  }
}
