import { readdirSync, readFileSync } from 'node:fs';
import { makeExecutableSchema } from '@graphql-tools/schema';
import { GraphQLError, type GraphQLFormattedError, type GraphQLSchema } from 'graphql';
import { DateTimeResolver } from 'graphql-scalars';
import { authResolvers } from '../auth/auth.resolvers.js';
import { isDatabaseUnavailable } from '../db/database.js';
import { AppError, ErrorCodes } from '../errors.js';
import type { Logger } from '../logger.js';
import { sessionResolvers } from '../sessions/session.resolvers.js';
import { statsResolvers } from '../stats/stats.resolvers.js';
import { subjectResolvers } from '../subjects/subject.resolvers.js';
import { userSettingsResolvers } from '../users/user-settings.resolvers.js';
import { userResolvers } from '../users/user.resolvers.js';
import type { Resolvers } from './__generated__/resolvers-types.js';

/** The `schema/` folder at the project root (the same relative place from `src/` and `dist/`). */
export const schemaDir = new URL('../../schema/', import.meta.url);

/** The SDL of every file in `schema/`, in name order. */
export function loadTypeDefs(): string[] {
  return readdirSync(schemaDir)
    .filter((f) => f.endsWith('.graphql'))
    .sort()
    .map((f) => readFileSync(new URL(f, schemaDir), 'utf8'));
}

const resolvers: Resolvers[] = [
  { DateTime: DateTimeResolver },
  userResolvers,
  authResolvers,
  subjectResolvers,
  sessionResolvers,
  statsResolvers,
  userSettingsResolvers,
];

/** The executable schema: SDL from `schema/`, resolvers from each domain. */
export function buildSchema(): GraphQLSchema {
  return makeExecutableSchema({ typeDefs: loadTypeDefs(), resolvers });
}

// Codes GraphQL.js, Apollo and studyclock attach to errors about the request itself: their
// messages describe the client's document or variables, not the server, and are safe to pass on.
const requestErrorCodes = new Set([
  'GRAPHQL_PARSE_FAILED',
  'GRAPHQL_VALIDATION_FAILED',
  'BAD_USER_INPUT',
  'BAD_REQUEST',
  'PERSISTED_QUERY_NOT_FOUND',
  'PERSISTED_QUERY_NOT_SUPPORTED',
  'OPERATION_RESOLUTION_FAILURE',
  ...Object.keys(ErrorCodes),
]);

/** How {@link formatError} treats what it passes on. */
export interface FormatErrorOptions {
  /**
   * Keep GraphQL's "Did you mean …?" suggestions in messages. They name fields, arguments, types
   * and enum values, which is the schema introspection would show: off where introspection is
   * off (see `OperationLimits.introspection`). Default true.
   */
  suggestions?: boolean;
}

// GraphQL names cannot contain `?`: the suggestion ends at the first one.
const SUGGESTION = / ?Did you mean [^?]*\?/g;

/**
 * Turns any error into what a client may see: AppErrors keep their code, message and
 * extensions; errors GraphQL itself raised about the request pass through (a code-less one is
 * variable coercion: BAD_USER_INPUT), without their suggestions when `options.suggestions` is
 * false; a database that is away (see `isDatabaseUnavailable`) becomes SERVICE_UNAVAILABLE;
 * anything else becomes INTERNAL_SERVER_ERROR. Those two have fixed messages, and the original
 * is logged, never sent.
 */
export function formatError(
  logger: Logger,
  formatted: GraphQLFormattedError,
  error: unknown,
  options: FormatErrorOptions = {},
): GraphQLFormattedError {
  const where = {
    ...(formatted.locations && { locations: formatted.locations }),
    ...(formatted.path && { path: formatted.path }),
  };
  const original = error instanceof GraphQLError ? (error.originalError ?? error) : error;
  if (original instanceof AppError) {
    return { message: original.message, ...where, extensions: { ...original.extensions, code: original.code } };
  }
  const code = formatted.extensions?.code;
  if (original instanceof GraphQLError && (code === undefined || requestErrorCodes.has(String(code)))) {
    const message = options.suggestions === false ? formatted.message.replace(SUGGESTION, '') : formatted.message;
    return { message, ...where, extensions: { ...formatted.extensions, code: code ?? 'BAD_USER_INPUT' } };
  }
  if (isDatabaseUnavailable(original)) {
    logger.warn({ err: original, path: formatted.path }, 'database unavailable');
    return { message: ErrorCodes.SERVICE_UNAVAILABLE, ...where, extensions: { code: 'SERVICE_UNAVAILABLE' } };
  }
  logger.error({ err: original, path: formatted.path }, 'unexpected error in operation');
  return { message: ErrorCodes.INTERNAL_SERVER_ERROR, ...where, extensions: { code: 'INTERNAL_SERVER_ERROR' } };
}
