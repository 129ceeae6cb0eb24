// How failures of the backing servers are recognised, in one place.

// SQLSTATEs that say the server cannot serve now, not that the query is wrong: connection
// exceptions (class 08), too_many_connections, idle_in_transaction_session_timeout,
// query_canceled (statement_timeout), admin/crash shutdown, cannot_connect_now (starting up,
// recovering, or a standby being promoted).
const UNAVAILABLE_SQLSTATES = new Set(['53300', '25P03', '57014', '57P01', '57P02', '57P03']);
// Socket errors from Node: the server's host is down, unreachable, refusing or gone mid-way.
const UNAVAILABLE_SYSCALL_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'EHOSTDOWN',
  'ENETUNREACH',
  'ENETDOWN',
  'ENOTFOUND',
  'EAI_AGAIN',
]);
// pg, pg-pool, Kysely and PGlite report a lost or closed connection with no code, only these
// messages (pg: "Connection terminated", "… unexpectedly", "… due to connection timeout",
// "Client has encountered a connection error and is not queryable", "Client was closed and is
// not queryable"; pg-pool: "timeout exceeded when trying to connect", "Cannot use a pool after
// calling end on the pool"; Kysely: "driver has already been destroyed", "PGlite instance is
// already closed."; PGlite: "PGlite is closed").
const UNAVAILABLE_MESSAGE =
  /^(Connection terminated|Client has encountered a connection error|Client was closed|timeout exceeded when trying to connect|Cannot use a pool after calling end|driver has already been destroyed|PGlite (instance )?is (already )?closed)/;

/**
 * True when `err` says the database (or another backing server: see the end) cannot be reached or cannot answer in time (refused, reset,
 * dropped, timed out, shut down, closed), as opposed to a query it refused. The one place such
 * failures are recognised: the GraphQL layer answers them with SERVICE_UNAVAILABLE (HTTP 503).
 * Looks through `cause`, AggregateError's `errors` and graphql-js's NonErrorThrown `thrownValue`
 * too (what graphql-js makes of an error that is not `instanceof Error` in its realm, such as a
 * socket error created outside a `vm` context). Socket error codes do not say which server they
 * came from: another backing server reached over TCP and refusing (Redis) counts too, and its
 * clients should get the same answer.
 */
export function isBackendUnavailable(err: unknown, depth = 0): boolean {
  if (typeof err !== 'object' || err === null || depth > 4) return false;
  const e = err as { code?: unknown; message?: unknown; cause?: unknown; errors?: unknown; thrownValue?: unknown };
  if (typeof e.code === 'string' && (UNAVAILABLE_SYSCALL_CODES.has(e.code) || UNAVAILABLE_SQLSTATES.has(e.code) || e.code.startsWith('08'))) {
    return true;
  }
  if (typeof e.message === 'string' && UNAVAILABLE_MESSAGE.test(e.message)) return true;
  if (Array.isArray(e.errors) && e.errors.some((inner) => isBackendUnavailable(inner, depth + 1))) return true;
  return isBackendUnavailable(e.cause, depth + 1) || isBackendUnavailable(e.thrownValue, depth + 1);
}

/** True when `err` is PostgreSQL's unique_violation, optionally on the named constraint or index. */
export function isUniqueViolation(err: unknown, constraint?: string): boolean {
  if (typeof err !== 'object' || err === null) return false;
  const e = err as { code?: unknown; constraint?: unknown; message?: unknown };
  if (e.code !== '23505') return false;
  if (constraint === undefined) return true;
  // pg reports the index in `constraint`; PGlite only names it in the message.
  return e.constraint === constraint || (typeof e.message === 'string' && e.message.includes(`"${constraint}"`));
}
