import { readdirSync, readFileSync } from 'node:fs';
import { makeExecutableSchema } from '@graphql-tools/schema';
import { GraphQLScalarType, type GraphQLSchema, Kind, parse } from 'graphql';
import { DateTimeResolver } from 'graphql-scalars';
import { accountResolvers } from '../auth/account.resolvers.js';
import { authResolvers } from '../auth/auth.resolvers.js';
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

const resolvers: Resolvers[] = [userResolvers, authResolvers, accountResolvers, subjectResolvers, sessionResolvers, statsResolvers, userSettingsResolvers];

/** The executable schema: SDL from `schema/`, resolvers from each domain. */
export function buildSchema(): GraphQLSchema {
  const typeDefs = loadTypeDefs();
  return makeExecutableSchema({
    typeDefs,
    // Every scalar with the description its SDL gives it (see describedBySdl).
    resolvers: [{ DateTime: DateTimeResolver }, ...resolvers].map(
      (r) => Object.fromEntries(Object.entries(r).map(([name, v]) => [name, v instanceof GraphQLScalarType ? describedBySdl(v, typeDefs) : v])) as Resolvers,
    ),
  });
}

/**
 * `scalar` with the description its definition in `typeDefs` gives it. graphql-tools copies a
 * scalar resolver's description over the SDL's, and graphql-scalars' own one ("such as
 * 2007-12-03T10:15:30Z") is not what the API serves nor what schema.graphql says.
 */
function describedBySdl(scalar: GraphQLScalarType, typeDefs: readonly string[]): GraphQLScalarType {
  const definition = typeDefs
    .flatMap((sdl) => parse(sdl).definitions)
    .find((d) => d.kind === Kind.SCALAR_TYPE_DEFINITION && d.name.value === scalar.name);
  if (definition?.kind !== Kind.SCALAR_TYPE_DEFINITION) throw new Error(`schema/ defines no scalar ${scalar.name}`);
  return new GraphQLScalarType({ ...scalar.toConfig(), description: definition.description?.value });
}
