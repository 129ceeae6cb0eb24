import type { BreakSettings } from '../users/user-settings.model.js';

/** Bounds of `breakMinutes` for BREAK sessions (its default is the student's {@link suggestBreak}). */
export const BREAK_MINUTES = { min: 1, max: 60 } as const;

/** Which break a suggestion is. */
export type BreakKindValue = 'SHORT' | 'LONG';

/** The break to take after a pomodoro (`nextBreak`). */
export interface BreakSuggestion {
  kind: BreakKindValue;
  minutes: number;
}

/**
 * The break that follows the `nth` completed pomodoro of a local day (1 for the day's first):
 * the long one after every `longBreakEvery`-th, the short one otherwise, and before the day's
 * first too (`nth` 0), since a break started then follows no pomodoro of the day.
 */
export function suggestBreak(nth: number, settings: BreakSettings): BreakSuggestion {
  return nth > 0 && nth % settings.longBreakEvery === 0
    ? { kind: 'LONG', minutes: settings.longBreakMinutes }
    : { kind: 'SHORT', minutes: settings.shortBreakMinutes };
}
