import type { Resolvers } from '../graphql/__generated__/resolvers-types.js';
import { requireViewer } from '../graphql/require-viewer.js';
import { DateScalar } from './calendar-date.js';

export const statsResolvers: Resolvers = {
  Date: DateScalar,
  Query: {
    studyStats: (_p, args, ctx) => ctx.services.stats.stats(requireViewer(ctx).userId, args),
  },
};
