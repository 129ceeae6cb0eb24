import type { Resolvers } from '../graphql/__generated__/resolvers-types.js';
import { requireViewer } from '../graphql/require-viewer.js';

export const userSettingsResolvers: Resolvers = {
  User: {
    // A User is only ever the viewer (`me`) or the account an auth payload was issued for.
    settings: (user, _a, ctx) => ctx.services.settings.get(user.id),
  },
  Mutation: {
    updateSettings: (_p, { input }, ctx) => ctx.services.settings.update(requireViewer(ctx).userId, input),
    setStudyGoal: (_p, args, ctx) => ctx.services.settings.setStudyGoal(requireViewer(ctx).userId, args),
    setBreakSettings: (_p, args, ctx) => ctx.services.settings.setBreakSettings(requireViewer(ctx).userId, args),
  },
};
