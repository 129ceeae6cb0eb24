import { useQuery } from '@apollo/client/react';
import { useMemo, useState } from 'react';
import { addDays, browserTimeZone, dateIn, formatDay, formatRange, formatShortDay, weekStarting } from '../calendar.js';
import { describeError } from '../errors.js';
import { formatDuration } from '../format.js';
import { StatsSettingsDocument, StudyStatsDocument } from '../operations.js';
import { WeeklyChart } from './WeeklyChart.js';

const plural = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;

/** A goal's progress: a bar and `12 min of 1 h`, or a line saying there is no such goal. */
function GoalProgress({ name, goalMinutes, seconds }: { name: string; goalMinutes: number | null; seconds: number }) {
  if (goalMinutes === null) {
    return (
      <div className="goal">
        <span className="goal__name">{name}</span>
        <span className="muted">{formatDuration(seconds)} · no goal set</span>
      </div>
    );
  }
  const goalSeconds = goalMinutes * 60;
  const text = `${formatDuration(seconds)} of ${formatDuration(goalSeconds)}`;
  return (
    <div className="goal">
      <span className="goal__name">{name}</span>
      <span className="goal__figures">{seconds >= goalSeconds ? `${text} · reached` : text}</span>
      <div
        className="progress"
        role="progressbar"
        aria-label={`${name} goal`}
        aria-valuemin={0}
        aria-valuemax={goalSeconds}
        aria-valuenow={Math.min(seconds, goalSeconds)}
        aria-valuetext={text}
      >
        <div className="progress__bar" style={{ transform: `scaleX(${Math.min(1, seconds / goalSeconds)})` }} />
      </div>
    </div>
  );
}

/**
 * A week of study, from `studyStats`: a chart and a list of the time per day, totals per
 * subject, streaks, and goal progress. Days are the student's local days in the time zone of
 * their settings, else the browser's; the week starts on their `weekStart`. Opens on the
 * current week; previous and next move by a week (not past the current one).
 */
export function StatisticsPage() {
  const settings = useQuery(StatsSettingsDocument);
  const [weeksBack, setWeeksBack] = useState(0);
  const chosen = settings.data?.me.settings;
  const timeZone = chosen?.timeZone ?? browserTimeZone();
  const thisWeek = weekStarting(dateIn(timeZone), chosen?.weekStart ?? 'MONDAY');
  const from = addDays(thisWeek, -7 * weeksBack);
  const to = addDays(from, 6);
  // Every visit reads the figures again: a session may have run since.
  const stats = useQuery(StudyStatsDocument, {
    variables: { from, to, timeZone },
    skip: !chosen,
    fetchPolicy: 'cache-and-network',
  });
  const data = stats.data?.studyStats;
  const days = data?.days;
  const labels = useMemo(() => (days ?? []).map((d) => formatShortDay(d.date)), [days]);
  const seconds = useMemo(() => (days ?? []).map((d) => d.seconds), [days]);
  const error = settings.error ?? stats.error;

  return (
    <main className="stats">
      <section className="card" aria-labelledby="week-heading">
        <div className="stats__head">
          <div>
            <h1 id="week-heading">{weeksBack === 0 ? 'This week' : formatRange(from, to)}</h1>
            <p className="muted">
              {weeksBack === 0 && `${formatRange(from, to)} · `}Days in {timeZone}
            </p>
          </div>
          <div className="stats__nav">
            <button type="button" className="button button--secondary" onClick={() => setWeeksBack((n) => n + 1)}>
              Previous week
            </button>
            <button
              type="button"
              className="button button--secondary"
              disabled={weeksBack === 0}
              onClick={() => setWeeksBack((n) => Math.max(0, n - 1))}
            >
              Next week
            </button>
          </div>
        </div>
        {error && !data ? (
          <p className="error" role="alert">
            {describeError(error)}
          </p>
        ) : !data ? (
          <p className="muted" aria-busy="true">
            Loading…
          </p>
        ) : (
          <>
            <p className="stats__total">
              <span className="stats__total-figure">{formatDuration(data.totalSeconds)}</span>{' '}
              <span className="muted">studied · {plural(data.completedPomodoros, 'pomodoro', 'pomodoros')} completed</span>
            </p>
            <WeeklyChart label={`Study time per day, ${formatRange(from, to)}`} labels={labels} seconds={seconds} />
            <ol className="stats__days" aria-label="Study time per day">
              {data.days.map((d) => (
                <li key={d.date} className={d.seconds > 0 ? 'stats__day' : 'stats__day stats__day--empty'}>
                  <time dateTime={d.date}>{formatDay(d.date)}</time>
                  <span>{formatDuration(d.seconds)}</span>
                </li>
              ))}
            </ol>
          </>
        )}
      </section>

      {data && (
        <div className="stats__side">
          <section className="card" aria-labelledby="streaks-heading">
            <h2 id="streaks-heading">Streaks and goals</h2>
            <dl className="stats__streaks">
              <div>
                <dt>Current streak</dt>
                <dd>{plural(data.currentStreakDays, 'day', 'days')}</dd>
              </div>
              <div>
                <dt>Longest streak</dt>
                <dd>{plural(data.longestStreakDays, 'day', 'days')}</dd>
              </div>
            </dl>
            <GoalProgress name="Today" goalMinutes={data.goal.dailyMinutes} seconds={data.goal.dailyProgressSeconds} />
            <GoalProgress name="This week" goalMinutes={data.goal.weeklyMinutes} seconds={data.goal.weeklyProgressSeconds} />
          </section>
          <section className="card" aria-labelledby="by-subject-heading">
            <h2 id="by-subject-heading">By subject</h2>
            {data.bySubject.length === 0 ? (
              <p className="muted">Nothing studied in this week.</p>
            ) : (
              <ol className="stats__subjects" aria-labelledby="by-subject-heading">
                {data.bySubject.map((s) => (
                  <li key={s.subject.id} className="stats__subject">
                    <span className="swatch" style={{ backgroundColor: s.subject.color ?? 'var(--line)' }} aria-hidden="true" />
                    <span className="stats__subject-name">{s.subject.name}</span>
                    <span className="muted">{plural(s.sessions, 'session', 'sessions')}</span>
                    <span className="stats__subject-time">{formatDuration(s.seconds)}</span>
                  </li>
                ))}
              </ol>
            )}
          </section>
        </div>
      )}
    </main>
  );
}
