import { randomUUID } from 'node:crypto';
import { AppError } from '../src/errors.js';
import { decodeCursor, encodeCursor } from '../src/sessions/session.service.js';
import type { SessionStatusValue } from '../src/sessions/session.table.js';
import {
  applyAction,
  completionInstant,
  elapsedMs,
  elapsedSeconds,
  isFinished,
  remainingSeconds,
  settle,
  startedTimer,
  type TimerAction,
  type TimerState,
} from '../src/sessions/timer.js';

const T0 = new Date('2026-01-05T09:00:00.000Z');
/** The instant `ms` milliseconds after T0 (before it when negative). */
const at = (ms: number): Date => new Date(T0.getTime() + ms);

/** A frozen state, so that any function mutating its input throws. */
function state(overrides: Partial<TimerState> = {}): TimerState {
  return Object.freeze({
    type: 'FREE',
    status: 'RUNNING',
    focusSeconds: null,
    accumulatedMs: 0,
    runStartedAt: T0,
    endedAt: null,
    pausedReason: null,
    ...overrides,
  } satisfies TimerState);
}

/** A POMODORO planned for `focusSeconds`, running since T0 unless told otherwise. */
const pomodoro = (focusSeconds: number, overrides: Partial<TimerState> = {}): TimerState =>
  state({ type: 'POMODORO', focusSeconds, ...overrides });

const paused = (overrides: Partial<TimerState> = {}): TimerState =>
  state({ status: 'PAUSED', runStartedAt: null, pausedReason: 'USER', ...overrides });

const finished = (status: 'COMPLETED' | 'STOPPED', overrides: Partial<TimerState> = {}): TimerState =>
  state({ status, runStartedAt: null, endedAt: at(60_000), ...overrides });

describe('elapsedMs', () => {
  it('counts the current run of a running FREE session to the millisecond', () => {
    expect(elapsedMs(state(), at(90_500))).toBe(90_500);
  });

  it('adds the banked time to the current run', () => {
    expect(elapsedMs(state({ accumulatedMs: 20_000, runStartedAt: at(120_000) }), at(130_250))).toBe(30_250);
  });

  it('counts only the banked time of a paused session however late it is read', () => {
    expect(elapsedMs(paused({ accumulatedMs: 90_500 }), at(10_000_000))).toBe(90_500);
  });

  it('counts only the banked time of a stopped session', () => {
    expect(elapsedMs(finished('STOPPED', { accumulatedMs: 42_000 }), at(10_000_000))).toBe(42_000);
  });

  it('counts a clock that went backwards as zero for the current run', () => {
    expect(elapsedMs(state({ accumulatedMs: 5_000 }), at(-10_000))).toBe(5_000);
  });

  it('caps a POMODORO at its plan', () => {
    expect(elapsedMs(pomodoro(60), at(75_000))).toBe(60_000);
  });

  it('does not cap a FREE session', () => {
    expect(elapsedMs(state(), at(86_400_000))).toBe(86_400_000);
  });
});

describe('elapsedSeconds', () => {
  it.each([
    [0, 0],
    [999, 0],
    [1_000, 1],
    [90_500, 90],
    [90_999, 90],
    [91_000, 91],
  ])('rounds %i ms down to %i s, as a stopwatch shows them', (ms, seconds) => {
    expect(elapsedSeconds(state(), at(ms))).toBe(seconds);
  });

  it('is zero while the clock reads before the run started', () => {
    expect(elapsedSeconds(state(), at(-1))).toBe(0);
  });

  it('stops at the plan of a POMODORO', () => {
    expect(elapsedSeconds(pomodoro(60), at(3_600_000))).toBe(60);
  });
});

describe('remainingSeconds', () => {
  it('is null for a FREE session', () => {
    expect(remainingSeconds(state(), at(5_000))).toBeNull();
  });

  it.each([
    [0, 60],
    [1, 60],
    [100, 60],
    [999, 60],
    [1_000, 59],
    [1_001, 59],
    [59_001, 1],
    [59_999, 1],
    [60_000, 0],
  ])('rounds the time left after %i ms up to %i s, as a countdown shows them', (ms, seconds) => {
    expect(remainingSeconds(pomodoro(60), at(ms))).toBe(seconds);
  });

  it('never goes below zero once the plan is used up', () => {
    expect(remainingSeconds(pomodoro(60), at(600_000))).toBe(0);
  });

  it('is the whole plan while the clock reads before the run started', () => {
    expect(remainingSeconds(pomodoro(60), at(-5_000))).toBe(60);
  });

  it('stays put while paused', () => {
    expect(remainingSeconds(pomodoro(1500, { status: 'PAUSED', runStartedAt: null, accumulatedMs: 100_300 }), at(9_999_999))).toBe(1400);
  });

  it.each([0, 1, 999, 1_000, 1_001, 30_500, 59_999, 60_000, 75_000])(
    'adds up with elapsedSeconds to the plan after %i ms',
    (ms) => {
      const timer = pomodoro(60);
      expect(elapsedSeconds(timer, at(ms)) + remainingSeconds(timer, at(ms))!).toBe(60);
    },
  );
});

describe('completionInstant', () => {
  it('is the run start plus the plan for a fresh POMODORO', () => {
    expect(completionInstant(pomodoro(60))).toEqual(at(60_000));
  });

  it('subtracts the banked time from what the current run still has to cover', () => {
    // Ran 20 s, paused, resumed at +120 s: 40 s are left, so it runs out at +160 s.
    expect(completionInstant(pomodoro(60, { accumulatedMs: 20_000, runStartedAt: at(120_000) }))).toEqual(at(160_000));
  });

  it('is null for a FREE session', () => {
    expect(completionInstant(state())).toBeNull();
  });

  it('is null for a paused POMODORO', () => {
    expect(completionInstant(pomodoro(60, { status: 'PAUSED', runStartedAt: null, accumulatedMs: 30_000 }))).toBeNull();
  });

  it.each(['COMPLETED', 'STOPPED'] as const)('is null for a %s POMODORO', (status) => {
    expect(completionInstant(pomodoro(60, { status, runStartedAt: null, endedAt: at(60_000) }))).toBeNull();
  });
});

describe('settle', () => {
  it('returns the very same state one millisecond before the plan runs out', () => {
    const timer = pomodoro(60);
    expect(settle(timer, at(59_999))).toBe(timer);
  });

  it('completes a POMODORO at exactly the instant its plan runs out', () => {
    expect(settle(pomodoro(60), at(60_000))).toEqual({
      type: 'POMODORO',
      status: 'COMPLETED',
      focusSeconds: 60,
      accumulatedMs: 60_000,
      runStartedAt: null,
      endedAt: at(60_000),
      pausedReason: null,
    });
  });

  it('ends a POMODORO read late at the instant it ran out, not at the instant it was read', () => {
    const settled = settle(pomodoro(60, { accumulatedMs: 20_000, runStartedAt: at(120_000) }), at(170_000));
    expect(settled.status).toBe('COMPLETED');
    expect(settled.endedAt).toEqual(at(160_000));
    expect(settled.accumulatedMs).toBe(60_000);
  });

  it('never completes a FREE session', () => {
    const timer = state();
    expect(settle(timer, at(86_400_000))).toBe(timer);
  });

  it('leaves a paused POMODORO paused however long ago its plan would have run out', () => {
    const timer = pomodoro(60, { status: 'PAUSED', runStartedAt: null, accumulatedMs: 30_000, pausedReason: 'USER' });
    expect(settle(timer, at(86_400_000))).toBe(timer);
  });

  it('leaves a stopped POMODORO as it is', () => {
    const timer = pomodoro(60, { status: 'STOPPED', runStartedAt: null, accumulatedMs: 30_000, endedAt: at(30_000) });
    expect(settle(timer, at(86_400_000))).toBe(timer);
  });
});

describe('applyAction', () => {
  it('pauses a running session, banking the run and recording the reason', () => {
    expect(applyAction(state({ accumulatedMs: 1_000 }), { kind: 'pause', reason: 'USER' }, at(90_500))).toEqual(
      state({ status: 'PAUSED', accumulatedMs: 91_500, runStartedAt: null, pausedReason: 'USER' }),
    );
  });

  it('records DISCONNECT as the pause reason when asked to', () => {
    expect(applyAction(state(), { kind: 'pause', reason: 'DISCONNECT' }, at(5_000))?.pausedReason).toBe('DISCONNECT');
  });

  it('banks nothing for a run the clock says has not started yet', () => {
    expect(applyAction(state({ accumulatedMs: 7_000 }), { kind: 'pause', reason: 'USER' }, at(-3_000))?.accumulatedMs).toBe(7_000);
  });

  it('resumes a paused session from now, keeping the banked time', () => {
    expect(applyAction(paused({ accumulatedMs: 90_500 }), { kind: 'resume' }, at(1_090_500))).toEqual(
      state({ accumulatedMs: 90_500, runStartedAt: at(1_090_500) }),
    );
  });

  it('stops a running session at now, banking the run', () => {
    expect(applyAction(state({ accumulatedMs: 90_500, runStartedAt: at(1_090_500) }), { kind: 'stop' }, at(1_100_000))).toEqual(
      state({ status: 'STOPPED', accumulatedMs: 100_000, runStartedAt: null, endedAt: at(1_100_000) }),
    );
  });

  it('stops a paused session at now without adding the paused time', () => {
    expect(applyAction(paused({ accumulatedMs: 90_500 }), { kind: 'stop' }, at(5_000_000))).toEqual(
      state({ status: 'STOPPED', accumulatedMs: 90_500, runStartedAt: null, endedAt: at(5_000_000), pausedReason: null }),
    );
  });

  it('keeps the type and plan of a POMODORO through a pause', () => {
    expect(applyAction(pomodoro(1500), { kind: 'pause', reason: 'USER' }, at(100_000))).toEqual(
      pomodoro(1500, { status: 'PAUSED', accumulatedMs: 100_000, runStartedAt: null, pausedReason: 'USER' }),
    );
  });

  const actions: Record<TimerAction['kind'], TimerAction> = {
    pause: { kind: 'pause', reason: 'USER' },
    resume: { kind: 'resume' },
    stop: { kind: 'stop' },
  };
  const stateIn = (status: SessionStatusValue): TimerState =>
    status === 'RUNNING' ? state() : status === 'PAUSED' ? paused({ accumulatedMs: 1_000 }) : finished(status, { accumulatedMs: 60_000 });

  it.each([
    ['pause', 'RUNNING', 'PAUSED'],
    ['resume', 'PAUSED', 'RUNNING'],
    ['stop', 'RUNNING', 'STOPPED'],
    ['stop', 'PAUSED', 'STOPPED'],
  ] as const)('allows %s from %s, ending %s', (kind, from, to) => {
    expect(applyAction(stateIn(from), actions[kind], at(10_000))?.status).toBe(to);
  });

  it.each([
    ['pause', 'PAUSED'],
    ['pause', 'COMPLETED'],
    ['pause', 'STOPPED'],
    ['resume', 'RUNNING'],
    ['resume', 'COMPLETED'],
    ['resume', 'STOPPED'],
    ['stop', 'COMPLETED'],
    ['stop', 'STOPPED'],
  ] as const)('refuses %s from %s', (kind, from) => {
    expect(applyAction(stateIn(from), actions[kind], at(10_000))).toBeNull();
  });
});

describe('startedTimer', () => {
  it('starts a FREE session running from now with nothing banked and no plan', () => {
    expect(startedTimer('FREE', null, at(0))).toEqual({
      type: 'FREE',
      status: 'RUNNING',
      focusSeconds: null,
      accumulatedMs: 0,
      runStartedAt: T0,
      endedAt: null,
      pausedReason: null,
    });
  });

  it('starts a POMODORO running from now with its plan', () => {
    const timer = startedTimer('POMODORO', 1500, at(0));
    expect(timer).toEqual(pomodoro(1500));
    expect(elapsedSeconds(timer, at(0))).toBe(0);
    expect(remainingSeconds(timer, at(0))).toBe(1500);
    expect(completionInstant(timer)).toEqual(at(1_500_000));
  });
});

describe('isFinished', () => {
  it.each([
    ['RUNNING', false],
    ['PAUSED', false],
    ['COMPLETED', true],
    ['STOPPED', true],
  ] as const)('says %s is finished: %s', (status, expected) => {
    expect(isFinished(status)).toBe(expected);
  });
});

describe('page cursors', () => {
  const position = { startedAt: new Date('2026-01-05T09:00:00.123Z'), id: randomUUID() };
  const base64url = (text: string): string => Buffer.from(text, 'utf8').toString('base64url');

  /** The error `fn` throws; fails the test when it returns. */
  function thrownBy(fn: () => unknown): unknown {
    try {
      fn();
    } catch (err) {
      return err;
    }
    throw new Error('expected a throw');
  }

  it('decodes what it encoded to the same start instant and id', () => {
    expect(decodeCursor(encodeCursor(position))).toEqual(position);
  });

  it('encodes only the keyset position, so two records at the same position share a cursor', () => {
    expect(encodeCursor({ ...position, subject: 'ignored' } as typeof position)).toBe(encodeCursor(position));
  });

  it('is URL-safe text', () => {
    expect(encodeCursor(position)).toMatch(/^[A-Za-z0-9_-]+$/);
  });

  it.each([
    ['an empty string', ''],
    ['text that is not base64', 'not a cursor!'],
    ['base64 of text that is not JSON', base64url('hello')],
    ['a JSON object', base64url('{"startedAt":"2026-01-05T09:00:00.000Z"}')],
    ['JSON null', base64url('null')],
    ['an empty array', base64url('[]')],
    ['an array of one', base64url('["2026-01-05T09:00:00.000Z"]')],
    ['an array of three', base64url(JSON.stringify(['2026-01-05T09:00:00.000Z', position.id, 'x']))],
    ['an unparseable date', base64url(JSON.stringify(['not a date', position.id]))],
    ['a numeric date', base64url(JSON.stringify([1767603600000, position.id]))],
    ['an id that is not a UUID', base64url(JSON.stringify(['2026-01-05T09:00:00.000Z', 'not-a-uuid']))],
    ['an id that is not a string', base64url(JSON.stringify(['2026-01-05T09:00:00.000Z', 42]))],
  ])('rejects %s with BAD_USER_INPUT on field after', (_label, cursor) => {
    expectInvalidCursor(cursor);
  });

  // decodeCursor promises BAD_USER_INPUT "for anything it did not produce". encodeCursor only ever
  // writes the base64url alphabet and a toISOString() instant, so these are not its cursors either.
  const valid = encodeCursor(position);
  it.each([
    ['a cursor with a character outside base64url inserted', `${valid.slice(0, 10)}!${valid.slice(10)}`],
    ['a cursor with garbage appended', `${valid}$$$`],
    ['a date that is only a year', base64url(JSON.stringify(['2026', position.id]))],
    // Without a zone, Date reads it in the server's local time zone: its position would depend on TZ.
    ['a date without a time zone', base64url(JSON.stringify(['2026-01-05T09:00:00', position.id]))],
  ])('rejects %s with BAD_USER_INPUT on field after', (_label, cursor) => {
    expectInvalidCursor(cursor);
  });

  function expectInvalidCursor(cursor: string): void {
    const err = thrownBy(() => decodeCursor(cursor));
    expect(err).toBeInstanceOf(AppError);
    expect(err).toMatchObject({ code: 'BAD_USER_INPUT', message: 'after is not a valid cursor', extensions: { field: 'after' } });
  }
});
