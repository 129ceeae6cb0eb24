import { ActiveSessionFeed, type ActiveSessionUpdate, compareStates } from '../src/sessions/active-session-feed.js';
import { type StudySession, viewSession } from '../src/sessions/session.model.js';
import { applyAction, startedTimer } from '../src/sessions/timer.js';

// The pure part of `activeSessionUpdated`: which state a new watcher starts from when changes
// commit while its load is in flight, and which later changes are newer. Ticks are followed
// through a recording stand-in for the scheduler.

const T0 = new Date('2026-03-01T10:00:00.000Z');
const at = (s: number): Date => new Date(T0.getTime() + s * 1000);
const subject = { id: 'subject-1', userId: 'u1', name: 'Maths', createdAt: T0 } as unknown as StudySession['subject'];

function running(id: string, startS: number, version = 1): StudySession {
  return viewSession({ id, userId: 'u1', subject, startedAt: at(startS), timer: startedTimer('FREE', null, at(startS)), version, note: null }, at(startS));
}
function stopped(session: StudySession, atS: number): StudySession {
  const timer = applyAction(session.timer, { kind: 'stop' }, at(atS))!;
  return viewSession({ ...session, timer, version: session.version + 1 }, at(atS));
}

function feed() {
  const followed: string[] = [];
  const released: string[] = [];
  const sessions = new ActiveSessionFeed((sessionId, _timer, version) => {
    followed.push(`${sessionId}@${version}`);
    return () => released.push(`${sessionId}@${version}`);
  });
  return { sessions, followed, released };
}

/** Watches with a load that resolves when `resolveLoad` is called, so changes can arrive in between. */
function watchWithPendingLoad(sessions: ActiveSessionFeed) {
  let resolveLoad!: (s: StudySession | null) => void;
  const load = new Promise<StudySession | null>((r) => (resolveLoad = r));
  const watching = sessions.watch('u1', () => load, () => at(100));
  return { resolveLoad, watching };
}

async function first(iterator: AsyncIterableIterator<ActiveSessionUpdate>): Promise<ActiveSessionUpdate> {
  return (await iterator.next()).value as ActiveSessionUpdate;
}

describe('the first state of a watcher whose load races a commit', () => {
  it('is the change when a session started after the load read nothing', async () => {
    const { sessions, followed } = feed();
    const { resolveLoad, watching } = watchWithPendingLoad(sessions);
    const started = running('s1', 50);
    sessions.sessionChanged(started);
    resolveLoad(null);
    // Its time as of the first message, not as of the change.
    expect(await first(await watching)).toEqual({ session: { ...started, elapsedSeconds: 50, observedAt: at(100) }, serverTime: at(100) });
    expect(followed).toEqual(['s1@1']);
  });

  it('is the loaded state when the change heard meanwhile is older', async () => {
    const { sessions } = feed();
    const { resolveLoad, watching } = watchWithPendingLoad(sessions);
    const v1 = running('s1', 50, 1);
    const v2 = { ...v1, version: 2 };
    sessions.sessionChanged(v1);
    resolveLoad(v2);
    expect((await first(await watching)).session).toMatchObject({ id: 's1', version: 2, elapsedSeconds: 50 });
  });

  it('is null when the loaded session was stopped meanwhile, and nothing is ticked', async () => {
    const { sessions, followed } = feed();
    const { resolveLoad, watching } = watchWithPendingLoad(sessions);
    const s1 = running('s1', 50);
    sessions.sessionChanged(stopped(s1, 60));
    resolveLoad(s1);
    expect((await first(await watching)).session).toBeNull();
    expect(followed).toEqual([]);
  });
});

describe('later changes', () => {
  it('take a session started in the same millisecond as the one that just stopped as the newer', () => {
    const a = stopped(running('s-b', 10), 10);
    const b = running('s-a', 10);
    expect(compareStates(b, a)).toBeGreaterThan(0);
    expect(compareStates(a, b)).toBeLessThan(0);
  });

  it('skip a state not newer than the last one, and follow the newest running session', async () => {
    const { sessions, followed, released } = feed();
    const s1 = running('s1', 10);
    const watching = await sessions.watch('u1', async () => s1, () => at(20));
    await first(watching);
    const end = stopped(s1, 30);
    sessions.sessionChanged(end);
    sessions.sessionChanged(s1); // an echo of an older state
    const s2 = running('s2', 40);
    sessions.sessionChanged(s2);
    expect((await watching.next()).value).toEqual({ session: end, serverTime: end.observedAt });
    expect((await watching.next()).value).toEqual({ session: s2, serverTime: s2.observedAt });
    expect(followed).toEqual(['s1@1', 's2@1']);
    expect(released).toEqual(['s1@1']);
    await watching.return!();
    expect(released).toEqual(['s1@1', 's2@1']);
    expect(sessions.subscriptions).toBe(0);
  });
});
