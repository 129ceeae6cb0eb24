import type { Weekday } from './__generated__/graphql.js';

// Calendar dates (`YYYY-MM-DD`, the API's `Date`) as the statistics page counts them: days are
// the student's local days, computed here from their time zone; the arithmetic on dates is
// done in UTC, where every day has 24 hours, so a DST change never shifts a date.

/** `Date.getUTCDay()` order. */
const WEEKDAYS: readonly Weekday[] = ['SUNDAY', 'MONDAY', 'TUESDAY', 'WEDNESDAY', 'THURSDAY', 'FRIDAY', 'SATURDAY'];

/** The browser's own IANA time zone: the statistics' zone while the student has chosen none. */
export function browserTimeZone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone;
}

/** The local date in `timeZone` at the instant `now`. */
export function dateIn(timeZone: string, now: Date = new Date()): string {
  const parts = new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).formatToParts(now);
  const part = (type: Intl.DateTimeFormatPartTypes) => parts.find((p) => p.type === type)?.value ?? '';
  return `${part('year')}-${part('month')}-${part('day')}`;
}

function utcMidnight(date: string): Date {
  return new Date(`${date}T00:00:00Z`);
}

/** `date` moved by `days` (negative: back). */
export function addDays(date: string, days: number): string {
  const d = utcMidnight(date);
  d.setUTCDate(d.getUTCDate() + days);
  return d.toISOString().slice(0, 10);
}

/** The first day of the week that holds `date`, weeks starting on `weekStart`. */
export function weekStarting(date: string, weekStart: Weekday): string {
  const back = (utcMidnight(date).getUTCDay() - WEEKDAYS.indexOf(weekStart) + 7) % 7;
  return addDays(date, -back);
}

const dayFormat = new Intl.DateTimeFormat(undefined, { timeZone: 'UTC', weekday: 'short', day: 'numeric', month: 'short' });
const shortDayFormat = new Intl.DateTimeFormat(undefined, { timeZone: 'UTC', weekday: 'short', day: 'numeric' });
const rangeFormat = new Intl.DateTimeFormat(undefined, { timeZone: 'UTC', day: 'numeric', month: 'short', year: 'numeric' });

/** A date for lists, in the reader's locale: `Sat 28 Mar`. */
export function formatDay(date: string): string {
  return dayFormat.format(utcMidnight(date));
}

/** A date for a chart's axis: `Sat 28`. */
export function formatShortDay(date: string): string {
  return shortDayFormat.format(utcMidnight(date));
}

/** A range of dates: `23 Mar – 29 Mar 2026` (as the locale writes ranges). */
export function formatRange(from: string, to: string): string {
  return rangeFormat.formatRange(utcMidnight(from), utcMidnight(to));
}
