import type { Subject } from '../subjects/subject.model.js';
import type { CalendarDate } from './calendar-date.js';

/** A subject's whole seconds and sessions, on one day or over a range. */
export interface SubjectSeconds {
  subject: Subject;
  seconds: number;
  sessions: number;
}

/** One local day of a range. */
export interface StudyDay {
  date: CalendarDate;
  seconds: number;
  bySubject: SubjectSeconds[];
}

/** Study goals with today's and this week's progress. */
export interface StudyGoalProgress {
  dailyMinutes: number | null;
  weeklyMinutes: number | null;
  dailyProgressSeconds: number;
  weeklyProgressSeconds: number;
}

/** The answer of `studyStats` (see schema/stats.graphql for what each figure means). */
export interface StudyStats {
  totalSeconds: number;
  days: StudyDay[];
  bySubject: SubjectSeconds[];
  completedPomodoros: number;
  currentStreakDays: number;
  longestStreakDays: number;
  goal: StudyGoalProgress;
}
