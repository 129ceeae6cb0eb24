import type { Resolvers } from '../graphql/__generated__/resolvers-types.js';
import { requireViewer } from '../graphql/require-viewer.js';

export const userResolvers: Resolvers = {
  Query: {
    me: (_parent, _args, ctx) => ctx.services.users.getUser(requireViewer(ctx)),
  },
};
