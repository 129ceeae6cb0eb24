import type { GraphQLContext } from '../graphql/context.js';
import type { Resolvers } from '../graphql/__generated__/resolvers-types.js';
import { requireViewer } from '../graphql/require-viewer.js';
import type { Viewer } from './authenticator.js';
import { requestOrigin } from './auth.resolvers.js';

/**
 * Runs an operation that checks the viewer's password under the log-in brute-force delays of
 * their email and address: a stolen access token must not guess the password faster than
 * `logIn` could. RATE_LIMITED while either waits out a delay; a wrong password counts as a
 * failed log-in.
 */
async function withPasswordCheck(ctx: GraphQLContext, viewer: Viewer, run: () => Promise<void>): Promise<void> {
  const { email } = await ctx.services.users.getUser(viewer);
  await ctx.logins.throttleLogIn({ email, ip: ctx.ip }, run);
}

export const accountResolvers: Resolvers = {
  Query: {
    logIns: (_p, _a, ctx) => ctx.services.account.logIns(requireViewer(ctx)),
  },
  Mutation: {
    changePassword: async (_p, args, ctx) => {
      const viewer = requireViewer(ctx);
      await withPasswordCheck(ctx, viewer, () => ctx.services.account.changePassword(viewer, args, requestOrigin(ctx)));
      return true;
    },
    revokeLogIn: async (_p, { id }, ctx) => {
      await ctx.services.account.revokeLogIn(requireViewer(ctx), id, requestOrigin(ctx));
      return true;
    },
    deleteAccount: async (_p, { password }, ctx) => {
      const viewer = requireViewer(ctx);
      await withPasswordCheck(ctx, viewer, () => ctx.services.account.deleteAccount(viewer, password, requestOrigin(ctx)));
      ctx.cookies?.clear();
      return true;
    },
  },
};
