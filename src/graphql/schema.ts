import { readdirSync, readFileSync } from 'node:fs';
import { makeExecutableSchema } from '@graphql-tools/schema';
import type { GraphQLSchema } from 'graphql';
import { DateTimeResolver } from 'graphql-scalars';
import { authResolvers } from '../auth/auth.resolvers.js';
import { sessionResolvers } from '../sessions/session.resolvers.js';
import { subjectResolvers } from '../subjects/subject.resolvers.js';
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
];

/** The executable schema: SDL from `schema/`, resolvers from each domain. */
export function buildSchema(): GraphQLSchema {
  return makeExecutableSchema({ typeDefs: loadTypeDefs(), resolvers });
}
