import type { Resolvers } from '../graphql/__generated__/resolvers-types.js';
import { requireViewer } from '../graphql/require-viewer.js';

export const subjectResolvers: Resolvers = {
  Query: {
    subjects: (_p, _a, ctx) => ctx.services.subjects.list(requireViewer(ctx).userId),
  },
  Mutation: {
    createSubject: (_p, { input }, ctx) => ctx.services.subjects.create(requireViewer(ctx).userId, input),
  },
};
