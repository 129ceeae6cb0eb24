import type { Viewer } from '../auth/authenticator.js';
import { type TokenRejection, tokenRejectionMessages } from '../auth/access-token.js';
import { AppError } from '../errors.js';
import type { GraphQLContext } from './context.js';

/**
 * The authenticated caller, or UNAUTHENTICATED with the reason (missing, malformed, expired,
 * invalid, revoked) as message and `extensions.reason`.
 */
export function requireViewer(ctx: GraphQLContext): Viewer {
  if (ctx.viewer) return ctx.viewer;
  throw unauthenticated(ctx.authFailure ?? 'missing');
}

/** UNAUTHENTICATED with the token's rejection `reason` as message and `extensions.reason`. */
export function unauthenticated(reason: TokenRejection): AppError {
  return new AppError('UNAUTHENTICATED', tokenRejectionMessages[reason], { reason });
}
