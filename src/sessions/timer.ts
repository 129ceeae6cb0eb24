import type { PauseReasonValue, SessionStatusValue, SessionTypeValue } from './session.table.js';

/**
 * The stored state of a session's timer. Everything the API shows about time is a pure function
 * of this state and an instant, so values never drift and survive restarts.
 */
export interface TimerState {
  readonly type: SessionTypeValue;
  readonly status: SessionStatusValue;
  /** The plan: a POMODORO's focus time, a BREAK's length; null for FREE. */
  readonly focusSeconds: number | null;
  /** Time banked by runs that have ended (by pause). */
  readonly accumulatedMs: number;
  /** Start of the current run; set exactly when RUNNING. */
  readonly runStartedAt: Date | null;
  readonly endedAt: Date | null;
  readonly pausedReason: PauseReasonValue | null;
}

/** A transition a student (or the server on their behalf) can ask for. */
export type TimerAction = { kind: 'pause'; reason: PauseReasonValue } | { kind: 'resume' } | { kind: 'stop' };

/** Milliseconds run as of `now`, capped at the plan (POMODORO, BREAK). A clock going backwards counts as zero. */
export function elapsedMs(state: TimerState, now: Date): number {
  const run = state.status === 'RUNNING' && state.runStartedAt ? Math.max(0, now.getTime() - state.runStartedAt.getTime()) : 0;
  const total = state.accumulatedMs + run;
  return state.focusSeconds === null ? total : Math.min(total, state.focusSeconds * 1000);
}

/** Whole seconds studied as of `now` (rounded down, as a stopwatch shows them). */
export function elapsedSeconds(state: TimerState, now: Date): number {
  return Math.floor(elapsedMs(state, now) / 1000);
}

/**
 * Whole seconds left of the plan as of `now` (rounded up, as a countdown shows them, so that
 * elapsed + remaining = focus), or null for FREE sessions.
 */
export function remainingSeconds(state: TimerState, now: Date): number | null {
  if (state.focusSeconds === null) return null;
  return Math.ceil((state.focusSeconds * 1000 - elapsedMs(state, now)) / 1000);
}

/** The instant a RUNNING POMODORO or BREAK uses up its plan; null for anything else. */
export function completionInstant(state: TimerState): Date | null {
  if (state.status !== 'RUNNING' || state.focusSeconds === null || !state.runStartedAt) return null;
  return new Date(state.runStartedAt.getTime() + state.focusSeconds * 1000 - state.accumulatedMs);
}

/**
 * The state as of `now`: a RUNNING session whose plan (POMODORO, BREAK) is used up becomes
 * COMPLETED, ended at the exact instant it ran out with elapsed equal to the plan. Any other
 * state is returned as is.
 */
export function settle(state: TimerState, now: Date): TimerState {
  const completesAt = completionInstant(state);
  if (!completesAt || completesAt.getTime() > now.getTime() || state.focusSeconds === null) return state;
  return {
    ...state,
    status: 'COMPLETED',
    accumulatedMs: state.focusSeconds * 1000,
    runStartedAt: null,
    endedAt: completesAt,
    pausedReason: null,
  };
}

/** Statuses from which each action is allowed. */
const allowedFrom: Record<TimerAction['kind'], readonly SessionStatusValue[]> = {
  pause: ['RUNNING'],
  resume: ['PAUSED'],
  stop: ['RUNNING', 'PAUSED'],
};

/** True when the session is over (COMPLETED or STOPPED). */
export function isFinished(status: SessionStatusValue): boolean {
  return status === 'COMPLETED' || status === 'STOPPED';
}

/**
 * Applies `action` at `now` to a settled state. Returns the new state, or `null` when the action
 * is not allowed from the current status (the caller answers INVALID_SESSION_STATE).
 */
export function applyAction(state: TimerState, action: TimerAction, now: Date): TimerState | null {
  if (!allowedFrom[action.kind].includes(state.status)) return null;
  const banked = { accumulatedMs: Math.round(elapsedMs(state, now)), runStartedAt: null };
  switch (action.kind) {
    case 'pause':
      return { ...state, ...banked, status: 'PAUSED', pausedReason: action.reason };
    case 'resume':
      return { ...state, status: 'RUNNING', runStartedAt: now, pausedReason: null };
    case 'stop':
      return { ...state, ...banked, status: 'STOPPED', endedAt: now, pausedReason: null };
  }
}

/** The state of a session started at `now`. */
export function startedTimer(type: SessionTypeValue, focusSeconds: number | null, now: Date): TimerState {
  return { type, status: 'RUNNING', focusSeconds, accumulatedMs: 0, runStartedAt: now, endedAt: null, pausedReason: null };
}

/**
 * The next instant a RUNNING session's display changes: when its elapsed time crosses the next
 * multiple of `intervalMs` (so each session ticks on its own phase, set by when it started or
 * resumed), or its completion instant if that comes first. Null when the timer is not running.
 */
export function nextTickAt(state: TimerState, now: Date, intervalMs: number): Date | null {
  if (state.status !== 'RUNNING' || !state.runStartedAt) return null;
  const raw = state.accumulatedMs + Math.max(0, now.getTime() - state.runStartedAt.getTime());
  const next = now.getTime() + (intervalMs - (raw % intervalMs));
  const completes = completionInstant(state);
  return completes && completes.getTime() <= next ? completes : new Date(next);
}

/** What a change of timer state does to the session's time history (`study_session_runs`). */
export interface RunChange {
  /** The instant the running stretch ends, when the change leaves RUNNING; else null. */
  endsAt: Date | null;
  /** The instant a new running stretch begins, when the change enters RUNNING; else null. */
  startsAt: Date | null;
}

/**
 * The running stretches `prev` → `next` ends and begins (`prev` null for a new session). A
 * stretch ends at its start plus the time the change banked, which is the exact instant of a
 * pause or stop, the instant a disconnect pause counts up to, and a POMODORO's completion
 * instant: so a session's stretches always add up to its elapsed time.
 */
export function runChange(prev: TimerState | null, next: TimerState): RunChange {
  const wasRunning = prev?.status === 'RUNNING' && prev.runStartedAt !== null;
  const isRunning = next.status === 'RUNNING' && next.runStartedAt !== null;
  const endsAt =
    wasRunning && !isRunning ? new Date(prev.runStartedAt!.getTime() + (next.accumulatedMs - prev.accumulatedMs)) : null;
  // No transition goes from RUNNING to RUNNING: a stretch only begins after one has ended.
  const startsAt = isRunning && !wasRunning ? next.runStartedAt : null;
  return { endsAt, startsAt };
}
