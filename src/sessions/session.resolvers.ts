import type { Resolvers } from '../graphql/__generated__/resolvers-types.js';
import { subscriptionPayload } from '../graphql/compiled-payload.js';
import { requireViewer } from '../graphql/require-viewer.js';
import { parseId } from '../ids.js';
import type { ActiveSessionUpdate } from './active-session-feed.js';
import type { TimerUpdate } from './timer-feed.js';

export const sessionResolvers: Resolvers = {
  Query: {
    session: (_p, { id }, ctx) => ctx.services.sessions.get(requireViewer(ctx).userId, id),
    sessions: (_p, args, ctx) => ctx.services.sessions.list(requireViewer(ctx).userId, args),
    activeSession: (_p, _a, ctx) => ctx.services.sessions.active(requireViewer(ctx).userId),
  },
  StudySession: {
    // The session is the viewer's already: it was read with an owner check.
    nextBreak: (session, _a, ctx) => ctx.services.sessions.breakAfter(session),
  },
  User: {
    // A User is only ever the viewer (`me`) or the account an auth payload was issued for.
    nextBreak: (user, _a, ctx) => ctx.services.sessions.nextBreak(user.id),
  },
  Mutation: {
    startSession: (_p, { input }, ctx) => ctx.services.sessions.start(requireViewer(ctx).userId, input),
    pauseSession: (_p, { sessionId }, ctx) => ctx.services.sessions.pause(requireViewer(ctx).userId, sessionId),
    resumeSession: (_p, { sessionId }, ctx) => ctx.services.sessions.resume(requireViewer(ctx).userId, sessionId),
    // An omitted note leaves the note as it is; an explicit null clears it: `'note' in args` tells them apart.
    stopSession: (_p, args, ctx) =>
      ctx.services.sessions.stop(requireViewer(ctx).userId, args.sessionId, 'note' in args ? { note: args.note } : {}),
    updateSessionNote: (_p, { id, note }, ctx) => ctx.services.sessions.setNote(requireViewer(ctx).userId, id, note ?? null),
    deleteSession: (_p, { id }, ctx) => ctx.services.sessions.delete(requireViewer(ctx).userId, id),
  },
  Subscription: {
    timerUpdated: {
      // Ownership is checked (by `sessions.get`) before anything is held for the subscriber.
      subscribe: async (_p, { sessionId }, ctx) => {
        const { userId } = requireViewer(ctx);
        const id = parseId('sessionId', sessionId);
        return ctx.services.timerFeed.watch(id, () => ctx.services.sessions.get(userId, id));
      },
      resolve: subscriptionPayload<TimerUpdate>,
    },
    activeSessionUpdated: {
      subscribe: (_p, _a, ctx) => {
        const { userId } = requireViewer(ctx);
        return ctx.services.timerFeed.watchActive(userId, () => ctx.services.sessions.active(userId));
      },
      resolve: subscriptionPayload<ActiveSessionUpdate>,
    },
  },
};
