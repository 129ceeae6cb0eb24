import type { Viewer } from '../auth/auth.service.js';
import { tokenRejectionMessages } from '../auth/access-token.js';
import { AppError } from '../errors.js';
import type { GraphQLContext } from './context.js';

/**
 * The authenticated caller, or UNAUTHENTICATED with the reason (missing, malformed, expired,
 * invalid, revoked) as message and `extensions.reason`.
 */
export function requireViewer(ctx: GraphQLContext): Viewer {
  if (ctx.viewer) return ctx.viewer;
  const reason = ctx.authFailure ?? 'missing';
  throw new AppError('UNAUTHENTICATED', tokenRejectionMessages[reason], { reason });
}
