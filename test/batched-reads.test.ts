import { randomUUID } from 'node:crypto';
import { findActiveLogins } from '../src/auth/refresh-token.repository.js';
import { SESSION_NOT_FOUND_MESSAGE } from '../src/errors.js';
import { findSessionsForOwners } from '../src/sessions/session.repository.js';
import { LOG_OUT, SESSION, studentWithSession, type Student, TIMER_UPDATED } from './support/fixtures.js';
import type { SessionFieldsFragment } from './__generated__/graphql.js';
import { startTestServer, type TestServer } from './support/server.js';
import { collect, connectStudent, disposeSockets, within } from './support/ws-client.js';

// The reads that many handshakes of one turn share (ReadBatcher): a batch mixes the keys of
// different students, and each must get exactly what one read of its own would have given.

let t: TestServer;
let a: { student: Student; session: SessionFieldsFragment };
let b: { student: Student; session: SessionFieldsFragment };

beforeAll(async () => {
  t = await startTestServer();
  a = await studentWithSession(t.client());
  b = await studentWithSession(t.client());
});
afterEach(() => disposeSockets());
afterAll(() => t.close());

/** The log-in (refresh-token family) an access token belongs to: its `sid` claim. */
function familyOf(student: Student): string {
  return (JSON.parse(Buffer.from(student.accessToken.split('.')[1]!, 'base64url').toString()) as { sid: string }).sid;
}

describe('findSessionsForOwners', () => {
  it('answers each (owner, session) pair with the session only when that owner owns it, in order', async () => {
    const db = t.db.handle.db;
    const found = await findSessionsForOwners(db, [
      { userId: a.student.userId, sessionId: a.session.id },
      { userId: a.student.userId, sessionId: b.session.id },
      { userId: b.student.userId, sessionId: b.session.id },
      { userId: a.student.userId, sessionId: randomUUID() },
      { userId: a.student.userId, sessionId: a.session.id.toUpperCase() },
    ]);
    expect(found.map((r) => r && { id: r.id, userId: r.userId })).toEqual([
      { id: a.session.id, userId: a.student.userId },
      undefined,
      { id: b.session.id, userId: b.student.userId },
      undefined,
      { id: a.session.id, userId: a.student.userId },
    ]);
  });
});

describe('findActiveLogins', () => {
  it('answers each log-in with whether its family is its user’s and not revoked', async () => {
    const db = t.db.handle.db;
    const c = await studentWithSession(t.client());
    await c.student.client.ok(LOG_OUT, { refreshToken: c.student.refreshToken });
    expect(
      await findActiveLogins(db, [
        { userId: a.student.userId, familyId: familyOf(a.student) },
        { userId: a.student.userId, familyId: familyOf(b.student) },
        { userId: c.student.userId, familyId: familyOf(c.student) },
        { userId: b.student.userId, familyId: familyOf(b.student) },
        { userId: randomUUID(), familyId: randomUUID() },
      ]),
    ).toEqual([true, false, false, true, false]);
  });
});

describe('reads shared by concurrent requests', () => {
  it('answers concurrent HTTP reads of own and foreign sessions each as if alone', async () => {
    const reads = Array.from({ length: 20 }, (_, i) => {
      const [reader, target] = i % 3 === 0 ? [a, b] : i % 2 === 0 ? [a, a] : [b, b];
      return reader.student.client.request(SESSION, { id: target.session.id }).then((res) => ({ own: reader === target, target, res }));
    });
    for (const { own, target, res } of await Promise.all(reads)) {
      if (own) {
        expect(res.errors).toBeUndefined();
        expect(res.data?.session?.id).toBe(target.session.id);
      } else {
        expect(res.errors).toEqual([expect.objectContaining({ message: SESSION_NOT_FOUND_MESSAGE, extensions: { code: 'NOT_FOUND' } })]);
        expect(res.data?.session ?? null).toBeNull();
      }
    }
  });

  it('opens the sockets of a burst with their own viewers, and answers their subscriptions each with its own session or NOT_FOUND', async () => {
    const sockets = await Promise.all([a, b, a, b, a, b].map((owner) => connectStudent(t.origin, owner.student).then((ws) => ({ owner, ws }))));
    const subscriptions = sockets.flatMap(({ owner, ws }) =>
      [a, b].map((target) => ({ own: owner === target, target, sub: collect(ws.client, TIMER_UPDATED, { id: target.session.id }) })),
    );
    for (const { own, target, sub } of subscriptions) {
      if (own) {
        const [first] = await sub.waitFor(1);
        expect(first).toEqual({ data: { timerUpdated: expect.objectContaining({ sessionId: target.session.id, status: 'RUNNING' }) } });
      } else {
        const refusal = await within(sub.done.then(() => 'completed', (errors: unknown) => errors), 5_000, 'the refused operation to end');
        expect(refusal).toEqual([expect.objectContaining({ message: SESSION_NOT_FOUND_MESSAGE, extensions: { code: 'NOT_FOUND' } })]);
        expect(sub.results).toEqual([]);
      }
    }
  });
});
