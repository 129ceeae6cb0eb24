import type { Resolvers } from '../graphql/__generated__/resolvers-types.js';
import { requireViewer } from '../graphql/require-viewer.js';

export const subjectResolvers: Resolvers = {
  Query: {
    subjects: (_p, { includeArchived }, ctx) => ctx.services.subjects.list(requireViewer(ctx).userId, { includeArchived }),
  },
  Mutation: {
    createSubject: (_p, { input }, ctx) => ctx.services.subjects.create(requireViewer(ctx).userId, input),
    renameSubject: (_p, { id, name }, ctx) => ctx.services.subjects.rename(requireViewer(ctx).userId, id, name),
    updateSubject: (_p, { id, input }, ctx) => ctx.services.subjects.update(requireViewer(ctx).userId, id, input),
    archiveSubject: (_p, { id }, ctx) => ctx.services.subjects.archive(requireViewer(ctx).userId, id),
    unarchiveSubject: (_p, { id }, ctx) => ctx.services.subjects.unarchive(requireViewer(ctx).userId, id),
    deleteSubject: (_p, { id, deleteSessions }, ctx) =>
      ctx.services.subjects.delete(requireViewer(ctx).userId, id, { deleteSessions }),
  },
};
