import type { Kysely } from 'kysely';
import type { Clock } from '../clock.js';
import type { Database } from '../db/database.js';
import { badInput, subjectNotFound } from '../errors.js';
import { parseId } from '../ids.js';
import type { SessionService } from '../sessions/session.service.js';
import type { Subject } from '../subjects/subject.model.js';
import { findSubjectForOwner } from '../subjects/subject.repository.js';
import { addDays, type CalendarDate, daysFrom } from './calendar-date.js';
import type { StudyStats, SubjectSeconds } from './stats.model.js';
import { TimeZoneNames } from './time-zones.js';
import { queryStats, type StatsQuery, type SubjectSecondsRow, streakEndingOn } from './stats.repository.js';

/** Most days one `studyStats` range may hold (`from` and `to` included): a leap year. */
export const STATS_RANGE_MAX_DAYS = 366;
/** Bounds of `minDailySeconds`, and its default. */
export const MIN_DAILY_SECONDS = { min: 1, max: 86_400, default: 60 } as const;

/** How {@link StudyStatsService} looks back for streaks. */
export interface StudyStatsOptions {
  /**
   * Days before the range (or today) the statistics query reads for streaks that reach into
   * it; a streak longer than that costs one more query per this many days. Default 366.
   */
  streakLookbackDays?: number;
  /** The zone names `timeZone` is checked against; default a catalog of this service's own. */
  timeZones?: TimeZoneNames;
}

/** The arguments of `studyStats` as the schema gives them. */
export interface StudyStatsArgs {
  from: CalendarDate;
  to: CalendarDate;
  timeZone: string;
  subjectId?: string | null;
  minDailySeconds?: number | null;
}

/**
 * Study statistics of one student, computed in PostgreSQL from the recorded running stretches
 * (`study_session_runs`), with "now" from the injected clock.
 */
export class StudyStatsService {
  readonly #lookbackDays: number;
  readonly #timeZones: TimeZoneNames;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly clock: Clock,
    private readonly sessions: Pick<SessionService, 'completeExpired'>,
    options: StudyStatsOptions = {},
  ) {
    this.#lookbackDays = options.streakLookbackDays ?? 366;
    this.#timeZones = options.timeZones ?? new TimeZoneNames(db);
  }

  /**
   * The statistics of the range. BAD_USER_INPUT naming the field for an unknown time zone,
   * `from` after `to`, a range over {@link STATS_RANGE_MAX_DAYS} days, `minDailySeconds` out of
   * bounds or a malformed subject id; NOT_FOUND for a foreign or missing subject. Reads only
   * (but first stores as COMPLETED any POMODORO whose time ran out, as listing sessions does).
   */
  async stats(userId: string, args: StudyStatsArgs): Promise<StudyStats> {
    const span = daysFrom(args.from, args.to);
    if (span < 0) throw badInput('to', 'to must not be before from');
    if (span + 1 > STATS_RANGE_MAX_DAYS) throw badInput('to', `the range must be at most ${STATS_RANGE_MAX_DAYS} days`);
    const minDailySeconds = args.minDailySeconds ?? MIN_DAILY_SECONDS.default;
    if (!Number.isInteger(minDailySeconds) || minDailySeconds < MIN_DAILY_SECONDS.min || minDailySeconds > MIN_DAILY_SECONDS.max) {
      throw badInput('minDailySeconds', `minDailySeconds must be between ${MIN_DAILY_SECONDS.min} and ${MIN_DAILY_SECONDS.max}`);
    }
    const subjectId = args.subjectId != null ? parseId('subjectId', args.subjectId) : undefined;
    await this.#timeZones.require('timeZone', args.timeZone);
    if (subjectId && !(await findSubjectForOwner(this.db, { userId, subjectId }))) throw subjectNotFound();

    const now = this.clock.now();
    // A POMODORO whose time ran out is stored as COMPLETED, its stretch ended at that instant,
    // so that it counts once, and among completedPomodoros.
    await this.sessions.completeExpired(now, { userId });
    const query: StatsQuery = { userId, subjectId, from: args.from, to: args.to, timeZone: args.timeZone, now, minDailySeconds, lookbackDays: this.#lookbackDays };
    const row = await queryStats(this.db, query);

    // A streak that fills the whole window may go back further: follow it, a window at a time.
    let current = row.current.days;
    let longest = row.longestDays;
    if (row.current.firstDay === row.windowFrom || row.edgeDays !== null) {
      const before = await this.#streakEndingOn(query, addDays(row.windowFrom, -1));
      if (row.current.firstDay === row.windowFrom) current += before;
      if (row.edgeDays !== null) longest = Math.max(longest, row.edgeDays + before);
    }

    const subjects = new Map<string, Subject>(
      row.subjects.map((s) => [
        s.id,
        { id: s.id, name: s.name, createdAt: new Date(s.createdAt), color: s.color, archivedAt: s.archivedAt === null ? null : new Date(s.archivedAt) },
      ]),
    );
    const withSubject = (entries: SubjectSecondsRow[]): SubjectSeconds[] =>
      entries.map((e) => ({ subject: subjects.get(e.subjectId)!, seconds: e.seconds, sessions: e.sessions }));
    const days = row.days.map((d) => ({ date: d.date, seconds: d.seconds, bySubject: withSubject(d.bySubject) }));
    return {
      totalSeconds: days.reduce((sum, d) => sum + d.seconds, 0),
      days,
      bySubject: withSubject(row.bySubject),
      completedPomodoros: row.completedPomodoros,
      currentStreakDays: current,
      longestStreakDays: longest,
      goal: row.goal,
    };
  }

  /** Consecutive qualifying days ending on `last`, however far back they go. */
  async #streakEndingOn(query: StatsQuery, last: CalendarDate): Promise<number> {
    let total = 0;
    for (let day = last; ; ) {
      const { days, reachesWindowStart } = await streakEndingOn(this.db, { ...query, last: day });
      total += days;
      if (!reachesWindowStart) return total;
      day = addDays(day, -days);
    }
  }
}
