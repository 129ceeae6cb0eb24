import { AppError } from '../errors.js';
import type { GraphQLContext } from '../graphql/context.js';
import type { Resolvers, ResolversTypes } from '../graphql/__generated__/resolvers-types.js';
import type { AuthTokens, RequestOrigin } from './credentials.service.js';

/** The GraphQL payload for tokens; in cookie mode the refresh token lives only in its cookie. */
function toPayload(tokens: AuthTokens, ctx: GraphQLContext, cookieMode: boolean): ResolversTypes['AuthPayload'] {
  if (!cookieMode) return tokens;
  // Callers check with requireCookiesIf first; the cookie path implies an HTTP exchange.
  ctx.cookies?.set(tokens);
  return { ...tokens, refreshToken: null };
}

function requireCookiesIf(ctx: GraphQLContext, cookieMode: boolean | null | undefined): void {
  if (cookieMode && !ctx.cookies) {
    throw new AppError('BAD_USER_INPUT', 'cookieMode is only available over HTTP', { field: 'cookieMode' });
  }
}

/** Who is asking, as the auth and account services want to know it. */
export const requestOrigin = (ctx: GraphQLContext): RequestOrigin => ({ ip: ctx.ip, userAgent: ctx.userAgent });

export const authResolvers: Resolvers = {
  Mutation: {
    signUp: async (_p, { input }, ctx) => {
      requireCookiesIf(ctx, input.cookieMode);
      const tokens = await ctx.services.credentials.signUp(input, requestOrigin(ctx));
      return toPayload(tokens, ctx, input.cookieMode === true);
    },
    logIn: async (_p, { input }, ctx) => {
      requireCookiesIf(ctx, input.cookieMode);
      // RATE_LIMITED, with the right password too, while the email or address waits out a delay.
      const tokens = await ctx.logins.throttleLogIn({ email: input.email, ip: ctx.ip }, () =>
        ctx.services.credentials.logIn(input, requestOrigin(ctx)),
      );
      return toPayload(tokens, ctx, input.cookieMode === true);
    },
    refreshToken: async (_p, args, ctx) => {
      requireCookiesIf(ctx, args.cookieMode);
      const fromCookie = !args.refreshToken ? ctx.cookies?.refreshToken : undefined;
      const presented = args.refreshToken || fromCookie;
      if (!presented) throw new AppError('UNAUTHENTICATED', 'No refresh token was presented', { reason: 'missing' });
      const tokens = await ctx.services.credentials.refresh(presented, requestOrigin(ctx));
      return toPayload(tokens, ctx, args.cookieMode === true || fromCookie !== undefined);
    },
    logOut: async (_p, args, ctx) => {
      const refreshToken = args.refreshToken || ctx.cookies?.refreshToken;
      if (refreshToken) await ctx.services.credentials.logOut({ refreshToken });
      // An external provider's token has no log-in here to end (familyId null): nothing to revoke.
      else if (ctx.viewer?.familyId) await ctx.services.credentials.logOut({ familyId: ctx.viewer.familyId });
      ctx.cookies?.clear();
      return true;
    },
  },
};
