import { GraphQLError } from 'graphql';

/**
 * The GraphQL error codes studyclock answers with, each with its fixed client-facing message.
 * This list is the single source of truth: resolvers raise {@link AppError}s by code and the
 * README's error table is written from it. A message here must never contain internal detail.
 */
export const ErrorCodes = {
  UNAUTHENTICATED: 'Authentication required',
  BAD_USER_INPUT: 'Invalid input',
  NOT_FOUND: 'Not found or you do not have permission',
  SESSION_ALREADY_ACTIVE: 'You already have an active study session; pause-resume or stop it first',
  INVALID_SESSION_STATE: 'The session cannot make that transition from its current status',
  EMAIL_TAKEN: 'An account with that email already exists',
  SUBJECT_NAME_TAKEN: 'You already have a subject with that name',
  INVALID_CREDENTIALS: 'Email or password is incorrect',
  TOO_MANY_OPERATIONS: 'Too many operations in flight on this connection',
  RATE_LIMITED: 'Too many requests; retry later',
  SERVICE_UNAVAILABLE: 'The service is temporarily unavailable; retry later',
  INTERNAL_SERVER_ERROR: 'Internal server error',
} as const;

/** One of the codes in {@link ErrorCodes}. */
export type ErrorCode = keyof typeof ErrorCodes;

/** The message clients get for a session or subject that is missing or belongs to someone else. */
export const SESSION_NOT_FOUND_MESSAGE = 'Session not found or you do not have permission';
/** Same as {@link SESSION_NOT_FOUND_MESSAGE}, for subjects. */
export const SUBJECT_NOT_FOUND_MESSAGE = 'Subject not found or you do not have permission';

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
/** A BAD_USER_INPUT error naming the offending argument in `extensions.field`. */
export const badInput = (field: string, message: string): AppError =>
  new AppError('BAD_USER_INPUT', message, { field });
