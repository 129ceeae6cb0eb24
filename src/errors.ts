import { GraphQLError } from 'graphql';

/**
 * How a code is answered over HTTP beside its body. `status`: the response's status when its
 * errors include the code; `beforeExecution`: only when the error was raised before execution
 * (while building the request's context): raised by a resolver, the status stays 200 as for
 * any execution error. `retryAfter`: the response carries `Retry-After` with the longest
 * `retryAfterSeconds` among its errors of the code.
 */
export interface HttpAnswer {
  readonly status: number;
  readonly beforeExecution?: boolean;
  readonly retryAfter?: boolean;
}

/**
 * The GraphQL error codes studyclock answers with, each with its fixed client-facing message
 * and, where it is not a plain 200, its HTTP answer. This list is the single source of truth:
 * resolvers raise {@link AppError}s by code, each transport maps them to the wire in one place
 * (`http/apollo-plugins.ts`, `ws/graphql-ws-hooks.ts`), and the README's error table is written
 * from it. A message here must never contain internal detail.
 */
export const ErrorCatalog = {
  UNAUTHENTICATED: { message: 'Authentication required' },
  BAD_USER_INPUT: { message: 'Invalid input' },
  NOT_FOUND: { message: 'Not found or you do not have permission' },
  SESSION_ALREADY_ACTIVE: { message: 'You already have an active study session; pause-resume or stop it first' },
  INVALID_SESSION_STATE: { message: 'The session cannot make that transition from its current status' },
  EMAIL_TAKEN: { message: 'An account with that email already exists' },
  SUBJECT_NAME_TAKEN: { message: 'You already have a subject with that name' },
  SUBJECT_ARCHIVED: { message: 'The subject is archived; unarchive it to start a session on it' },
  SUBJECT_IN_USE: { message: 'The subject has sessions; delete them with it (deleteSessions: true) or archive it instead' },
  SESSION_ACTIVE: { message: 'The session is running or paused; stop it first' },
  INVALID_CREDENTIALS: { message: 'Email or password is incorrect' },
  TOO_MANY_OPERATIONS: { message: 'Too many operations in flight on this connection' },
  RATE_LIMITED: { message: 'Too many requests; retry later', http: { status: 429, beforeExecution: true, retryAfter: true } },
  // 503 whatever data the response has, so that load balancers, monitoring and retrying clients
  // (Apollo Client's RetryLink retries network errors, which a 503 is) see the outage.
  SERVICE_UNAVAILABLE: { message: 'The service is temporarily unavailable; retry later', http: { status: 503 } },
  INTERNAL_SERVER_ERROR: { message: 'Internal server error' },
} as const satisfies Record<string, { message: string; http?: HttpAnswer }>;

type Catalog = typeof ErrorCatalog;

/** Each code's fixed message (see {@link ErrorCatalog}). */
export const ErrorCodes = Object.freeze(
  Object.fromEntries(Object.entries(ErrorCatalog).map(([code, { message }]) => [code, message])),
) as { readonly [C in keyof Catalog]: Catalog[C]['message'] };

/** The HTTP answer of `code`, when it has one other than 200. */
export function httpAnswerOf(code: unknown): HttpAnswer | undefined {
  const entry = typeof code === 'string' && Object.hasOwn(ErrorCatalog, code) ? ErrorCatalog[code as ErrorCode] : undefined;
  return entry && 'http' in entry ? entry.http : undefined;
}

/** One of the codes in {@link ErrorCodes}. */
export type ErrorCode = keyof typeof ErrorCodes;

/** The message clients get for a session or subject that is missing or belongs to someone else. */
export const SESSION_NOT_FOUND_MESSAGE = 'Session not found or you do not have permission';
/** Same as {@link SESSION_NOT_FOUND_MESSAGE}, for subjects. */
export const SUBJECT_NOT_FOUND_MESSAGE = 'Subject not found or you do not have permission';
/** Same as {@link SESSION_NOT_FOUND_MESSAGE}, for log-ins (`revokeLogIn`). */
export const LOGIN_NOT_FOUND_MESSAGE = 'Log-in not found or you do not have permission';

/**
 * An expected failure with a public code. Services throw it; the GraphQL layer turns it into a
 * `GraphQLError` with `extensions.code`. Anything else that escapes a resolver is reported to
 * the client as INTERNAL_SERVER_ERROR and logged in full on the server only.
 */
export class AppError extends Error {
  readonly code: ErrorCode;
  readonly extensions: Readonly<Record<string, unknown>>;

  constructor(code: ErrorCode, message: string = ErrorCodes[code], extensions: Record<string, unknown> = {}) {
    super(message);
    this.name = 'AppError';
    this.code = code;
    this.extensions = extensions;
  }

  /** The client-facing form of this error. */
  toGraphQLError(): GraphQLError {
    return new GraphQLError(this.message, { extensions: { ...this.extensions, code: this.code } });
  }
}

/** A missing or foreign study session: both look exactly the same to the caller. */
export const sessionNotFound = (): AppError => new AppError('NOT_FOUND', SESSION_NOT_FOUND_MESSAGE);
/** A missing or foreign subject: both look exactly the same to the caller. */
export const subjectNotFound = (): AppError => new AppError('NOT_FOUND', SUBJECT_NOT_FOUND_MESSAGE);
/** A missing, foreign or ended log-in: all look exactly the same to the caller. */
export const loginNotFound = (): AppError => new AppError('NOT_FOUND', LOGIN_NOT_FOUND_MESSAGE);
/** A BAD_USER_INPUT error naming the offending argument in `extensions.field`. */
export const badInput = (field: string, message: string): AppError =>
  new AppError('BAD_USER_INPUT', message, { field });
