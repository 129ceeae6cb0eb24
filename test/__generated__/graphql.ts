/* eslint-disable */
/** Internal type. DO NOT USE DIRECTLY. */
type Exact<T extends { [key: string]: unknown }> = { [K in keyof T]: T[K] };
/** Internal type. DO NOT USE DIRECTLY. */
export type Incremental<T> = T | { [P in keyof T]?: P extends ' $fragmentName' | '__typename' ? T[P] : never };
import type { DocumentTypeDecoration } from '@graphql-typed-document-node/core';
export type BreakKind =
  /** `longBreakMinutes` (15 by default), after every `longBreakEvery`-th (4th by default) pomodoro completed on a local day. */
  | 'LONG'
  /** `shortBreakMinutes` of your break settings (5 by default). */
  | 'SHORT';

export type CreateSubjectInput = {
  /** Optional display colour, `#rrggbb` (six hexadecimal digits, either case; stored in lower case). */
  color?: string | null | undefined;
  /** 1 to 80 characters after trimming; unique per student, case-insensitively (archived subjects included). */
  name: string;
};

export type LogInInput = {
  /** As in SignUpInput. */
  cookieMode?: boolean | null | undefined;
  email: string;
  password: string;
};

export type PauseReason =
  /** The student's last connection went away. */
  | 'DISCONNECT'
  /** The student paused it. */
  | 'USER';

export type SessionStatus =
  /** A POMODORO or BREAK whose planned time was used up. */
  | 'COMPLETED'
  | 'PAUSED'
  | 'RUNNING'
  /** Ended by the student. */
  | 'STOPPED';

export type SessionType =
  /**
   * A rest between pomodoros: counts down its length (`breakMinutes`) and completes by itself
   * like a POMODORO, ticks and all. Never study time: no statistic counts it.
   */
  | 'BREAK'
  /** Counts up until stopped. */
  | 'FREE'
  /** Counts down a planned focus time and completes by itself when it is used up. */
  | 'POMODORO';

export type SignUpInput = {
  /**
   * Also set the access and refresh tokens as httpOnly cookies (HTTP only). The response then
   * carries no refresh token: the cookie is the only copy.
   */
  cookieMode?: boolean | null | undefined;
  /** A valid email address, unique case-insensitively. */
  email: string;
  /** 10 to 128 characters, at least 5 different ones, not containing the email's local part. */
  password: string;
};

export type StartSessionInput = {
  /** BREAK only: 1 to 60, default the minutes of your `nextBreak`. Must be omitted for POMODORO and FREE. */
  breakMinutes?: number | null | undefined;
  /** POMODORO only: 1 to 180, default 25. Must be omitted for FREE and BREAK. */
  focusMinutes?: number | null | undefined;
  /** The subject to study; for a BREAK, the subject the break is taken from (usually the completed pomodoro's). */
  subjectId: string;
  type: SessionType;
};

/**
 * Settings to change with `updateSettings`: an omitted field stays as it is; null sets it back to
 * its default (no time zone, MONDAY, no goal).
 */
export type UpdateSettingsInput = {
  /** Minutes a day, 1 to 1440. */
  dailyGoalMinutes?: number | null | undefined;
  /** An IANA time-zone name (`Europe/Berlin`), as `studyStats` takes. */
  timeZone?: string | null | undefined;
  /** The day weeks start on for the weekly goal. */
  weekStart?: Weekday | null | undefined;
  /** Minutes a week, 1 to 10080. */
  weeklyGoalMinutes?: number | null | undefined;
};

/**
 * What `updateSubject` changes: an omitted field stays as it is. Nothing is written unless every
 * given field is valid.
 */
export type UpdateSubjectInput = {
  /** A new display colour, `#rrggbb`; null removes it. */
  color?: string | null | undefined;
  /** A new name, with the rules of `CreateSubjectInput.name`; null is refused (BAD_USER_INPUT). */
  name?: string | null | undefined;
};

/** The first day of a week. */
export type Weekday =
  | 'FRIDAY'
  | 'MONDAY'
  | 'SATURDAY'
  | 'SUNDAY'
  | 'THURSDAY'
  | 'TUESDAY'
  | 'WEDNESDAY';

export type ChangePasswordMutationVariables = Exact<{
  current: string;
  new: string;
}>;


export type ChangePasswordMutation = { changePassword: boolean };

export type LogInsQueryVariables = Exact<{ [key: string]: never; }>;


export type LogInsQuery = { logIns: Array<{ id: string, createdAt: string, lastUsedAt: string, userAgent: string | null, address: string | null, current: boolean }> };

export type RevokeLogInMutationVariables = Exact<{
  id: string;
}>;


export type RevokeLogInMutation = { revokeLogIn: boolean };

export type UpdateSettingsMutationVariables = Exact<{
  input: UpdateSettingsInput;
}>;


export type UpdateSettingsMutation = { updateSettings: { timeZone: string | null, weekStart: Weekday, goal: { dailyMinutes: number | null, weeklyMinutes: number | null } } };

export type BreakSessionFieldsFragment = { id: string, type: SessionType, status: SessionStatus, elapsedSeconds: number, focusSeconds: number | null, remainingSeconds: number | null, startedAt: string, endedAt: string | null, subject: { id: string }, nextBreak: { kind: BreakKind, minutes: number } | null };

export type StartBreakMutationVariables = Exact<{
  input: StartSessionInput;
}>;


export type StartBreakMutation = { startSession: { id: string, type: SessionType, status: SessionStatus, elapsedSeconds: number, focusSeconds: number | null, remainingSeconds: number | null, startedAt: string, endedAt: string | null, subject: { id: string }, nextBreak: { kind: BreakKind, minutes: number } | null } };

export type ReadBreakQueryVariables = Exact<{
  id: string;
}>;


export type ReadBreakQuery = { session: { id: string, type: SessionType, status: SessionStatus, elapsedSeconds: number, focusSeconds: number | null, remainingSeconds: number | null, startedAt: string, endedAt: string | null, subject: { id: string }, nextBreak: { kind: BreakKind, minutes: number } | null } | null };

export type NextBreakQueryVariables = Exact<{ [key: string]: never; }>;


export type NextBreakQuery = { me: { id: string, nextBreak: { kind: BreakKind, minutes: number } } };

export type BreakSettingsQueryVariables = Exact<{ [key: string]: never; }>;


export type BreakSettingsQuery = { me: { id: string, settings: { breaks: { shortBreakMinutes: number, longBreakMinutes: number, longBreakEvery: number } } } };

export type SetBreakSettingsMutationVariables = Exact<{
  shortBreakMinutes?: number | null | undefined;
  longBreakMinutes?: number | null | undefined;
  longBreakEvery?: number | null | undefined;
}>;


export type SetBreakSettingsMutation = { setBreakSettings: { breaks: { shortBreakMinutes: number, longBreakMinutes: number, longBreakEvery: number } } };

export type BreaksGoalMutationVariables = Exact<{
  dailyMinutes?: number | null | undefined;
}>;


export type BreaksGoalMutation = { setStudyGoal: { goal: { dailyMinutes: number | null } } };

export type BreakStatsQueryVariables = Exact<{
  from: string;
  to: string;
  timeZone: string;
  minDailySeconds?: number | null | undefined;
}>;


export type BreakStatsQuery = { studyStats: { totalSeconds: number, completedPomodoros: number, currentStreakDays: number, longestStreakDays: number, days: Array<{ date: string, seconds: number, bySubject: Array<{ seconds: number, sessions: number, subject: { id: string } }> }>, bySubject: Array<{ seconds: number, sessions: number, subject: { id: string } }>, goal: { dailyProgressSeconds: number, weeklyProgressSeconds: number } } };

export type WebAppSettingsMutationVariables = Exact<{
  input: UpdateSettingsInput;
}>;


export type WebAppSettingsMutation = { updateSettings: { timeZone: string | null } };

export type WebAppAllSubjectsQueryVariables = Exact<{ [key: string]: never; }>;


export type WebAppAllSubjectsQuery = { subjects: Array<{ name: string, color: string | null, archivedAt: string | null }> };

export type ListQueryVariables = Exact<{ [key: string]: never; }>;


export type ListQuery = { sessions: { edges: Array<{ node: { id: string, type: SessionType, status: SessionStatus, elapsedSeconds: number, focusSeconds: number | null, remainingSeconds: number | null, startedAt: string, endedAt: string | null, pausedReason: PauseReason | null } }> } };

export type TimerStatusSubscriptionVariables = Exact<{
  id: string;
}>;


export type TimerStatusSubscription = { timerUpdated: { sessionId: string, status: SessionStatus } };

export type ManageSessionsInRangeQueryVariables = Exact<{
  from?: string | null | undefined;
  to?: string | null | undefined;
  first?: number | null | undefined;
  after?: string | null | undefined;
  subjectId?: string | null | undefined;
}>;


export type ManageSessionsInRangeQuery = { sessions: { edges: Array<{ cursor: string, node: { id: string, startedAt: string } }>, pageInfo: { hasNextPage: boolean, endCursor: string | null } } };

export type ManageStopWithNoteMutationVariables = Exact<{
  id: string;
  note?: string | null | undefined;
}>;


export type ManageStopWithNoteMutation = { stopSession: { id: string, status: SessionStatus, note: string | null, endedAt: string | null } };

export type ManageUpdateSessionNoteMutationVariables = Exact<{
  id: string;
  note?: string | null | undefined;
}>;


export type ManageUpdateSessionNoteMutation = { updateSessionNote: { id: string, status: SessionStatus, note: string | null, elapsedSeconds: number } };

export type ManageSessionNoteQueryVariables = Exact<{
  id: string;
}>;


export type ManageSessionNoteQuery = { session: { id: string, note: string | null } | null };

export type ManageDeleteSessionMutationVariables = Exact<{
  id: string;
}>;


export type ManageDeleteSessionMutation = { deleteSession: string };

export type ManageActiveSessionNoteSubscriptionVariables = Exact<{ [key: string]: never; }>;


export type ManageActiveSessionNoteSubscription = { activeSessionUpdated: { session: { id: string, status: SessionStatus, note: string | null } | null } };

export type ManageSessionStatsQueryVariables = Exact<{
  day: string;
}>;


export type ManageSessionStatsQuery = { studyStats: { totalSeconds: number, completedPomodoros: number } };

export type PropertyStatsQueryVariables = Exact<{
  from: string;
  to: string;
  timeZone: string;
}>;


export type PropertyStatsQuery = { studyStats: { totalSeconds: number, completedPomodoros: number, days: Array<{ date: string, seconds: number }> } };

export type StudyStatsQueryVariables = Exact<{
  from: string;
  to: string;
  timeZone: string;
  subjectId?: string | null | undefined;
  minDailySeconds?: number | null | undefined;
}>;


export type StudyStatsQuery = { studyStats: { totalSeconds: number, completedPomodoros: number, currentStreakDays: number, longestStreakDays: number, days: Array<{ date: string, seconds: number, bySubject: Array<{ seconds: number, sessions: number, subject: { id: string, name: string } }> }>, bySubject: Array<{ seconds: number, sessions: number, subject: { id: string, name: string } }>, goal: { dailyMinutes: number | null, weeklyMinutes: number | null, dailyProgressSeconds: number, weeklyProgressSeconds: number } } };

export type SetStudyGoalMutationVariables = Exact<{
  dailyMinutes?: number | null | undefined;
  weeklyMinutes?: number | null | undefined;
}>;


export type SetStudyGoalMutation = { setStudyGoal: { timeZone: string | null, weekStart: Weekday, goal: { dailyMinutes: number | null, weeklyMinutes: number | null } } };

export type MySettingsQueryVariables = Exact<{ [key: string]: never; }>;


export type MySettingsQuery = { me: { id: string, settings: { timeZone: string | null, weekStart: Weekday, goal: { dailyMinutes: number | null, weeklyMinutes: number | null } } } };

export type ManagedSubjectFieldsFragment = { id: string, name: string, color: string | null, archivedAt: string | null, createdAt: string };

export type ManageCreateSubjectMutationVariables = Exact<{
  input: CreateSubjectInput;
}>;


export type ManageCreateSubjectMutation = { createSubject: { id: string, name: string, color: string | null, archivedAt: string | null, createdAt: string } };

export type ManageRenameSubjectMutationVariables = Exact<{
  id: string;
  name: string;
}>;


export type ManageRenameSubjectMutation = { renameSubject: { id: string, name: string, color: string | null, archivedAt: string | null, createdAt: string } };

export type ManageUpdateSubjectMutationVariables = Exact<{
  id: string;
  input: UpdateSubjectInput;
}>;


export type ManageUpdateSubjectMutation = { updateSubject: { id: string, name: string, color: string | null, archivedAt: string | null, createdAt: string } };

export type ManageArchiveSubjectMutationVariables = Exact<{
  id: string;
}>;


export type ManageArchiveSubjectMutation = { archiveSubject: { id: string, name: string, color: string | null, archivedAt: string | null, createdAt: string } };

export type ManageUnarchiveSubjectMutationVariables = Exact<{
  id: string;
}>;


export type ManageUnarchiveSubjectMutation = { unarchiveSubject: { id: string, name: string, color: string | null, archivedAt: string | null, createdAt: string } };

export type ManageDeleteSubjectMutationVariables = Exact<{
  id: string;
  deleteSessions?: boolean | null | undefined;
}>;


export type ManageDeleteSubjectMutation = { deleteSubject: string };

export type ManageSubjectsQueryVariables = Exact<{
  includeArchived?: boolean | null | undefined;
}>;


export type ManageSubjectsQuery = { subjects: Array<{ id: string, name: string, color: string | null, archivedAt: string | null, createdAt: string }> };

export type ManageSubjectsDefaultQueryVariables = Exact<{ [key: string]: never; }>;


export type ManageSubjectsDefaultQuery = { subjects: Array<{ id: string }> };

export type ManageSubjectHistoryQueryVariables = Exact<{
  subjectId?: string | null | undefined;
}>;


export type ManageSubjectHistoryQuery = { sessions: { edges: Array<{ node: { id: string, status: SessionStatus, elapsedSeconds: number, subject: { id: string, name: string, archivedAt: string | null, color: string | null } } }> } };

export type ManageSubjectStatsQueryVariables = Exact<{
  from: string;
  to: string;
  subjectId?: string | null | undefined;
}>;


export type ManageSubjectStatsQuery = { studyStats: { totalSeconds: number, completedPomodoros: number, bySubject: Array<{ seconds: number, sessions: number, subject: { id: string, name: string, archivedAt: string | null, color: string | null } }> } };

export type SignUpMutationVariables = Exact<{
  input: SignUpInput;
}>;


export type SignUpMutation = { signUp: { accessToken: string, refreshToken: string | null, expiresAt: string, user: { id: string, email: string, createdAt: string } } };

export type LogInMutationVariables = Exact<{
  input: LogInInput;
}>;


export type LogInMutation = { logIn: { accessToken: string, refreshToken: string | null, expiresAt: string, user: { id: string, email: string } } };

export type RefreshMutationVariables = Exact<{
  refreshToken?: string | null | undefined;
  cookieMode?: boolean | null | undefined;
}>;


export type RefreshMutation = { refreshToken: { accessToken: string, refreshToken: string | null, expiresAt: string, user: { id: string } } };

export type LogOutMutationVariables = Exact<{
  refreshToken?: string | null | undefined;
}>;


export type LogOutMutation = { logOut: boolean };

export type DeleteAccountMutationVariables = Exact<{
  password: string;
}>;


export type DeleteAccountMutation = { deleteAccount: boolean };

export type MeQueryVariables = Exact<{ [key: string]: never; }>;


export type MeQuery = { me: { id: string, email: string } };

export type CreateSubjectMutationVariables = Exact<{
  name: string;
}>;


export type CreateSubjectMutation = { createSubject: { id: string, name: string, createdAt: string } };

export type SubjectsQueryVariables = Exact<{ [key: string]: never; }>;


export type SubjectsQuery = { subjects: Array<{ id: string, name: string }> };

export type SessionFieldsFragment = { id: string, type: SessionType, status: SessionStatus, elapsedSeconds: number, focusSeconds: number | null, remainingSeconds: number | null, startedAt: string, endedAt: string | null, pausedReason: PauseReason | null, subject: { id: string, name: string } };

export type StartMutationVariables = Exact<{
  input: StartSessionInput;
}>;


export type StartMutation = { startSession: { id: string, type: SessionType, status: SessionStatus, elapsedSeconds: number, focusSeconds: number | null, remainingSeconds: number | null, startedAt: string, endedAt: string | null, pausedReason: PauseReason | null, subject: { id: string, name: string } } };

export type PauseMutationVariables = Exact<{
  id: string;
}>;


export type PauseMutation = { pauseSession: { id: string, type: SessionType, status: SessionStatus, elapsedSeconds: number, focusSeconds: number | null, remainingSeconds: number | null, startedAt: string, endedAt: string | null, pausedReason: PauseReason | null, subject: { id: string, name: string } } };

export type ResumeMutationVariables = Exact<{
  id: string;
}>;


export type ResumeMutation = { resumeSession: { id: string, type: SessionType, status: SessionStatus, elapsedSeconds: number, focusSeconds: number | null, remainingSeconds: number | null, startedAt: string, endedAt: string | null, pausedReason: PauseReason | null, subject: { id: string, name: string } } };

export type StopMutationVariables = Exact<{
  id: string;
}>;


export type StopMutation = { stopSession: { id: string, type: SessionType, status: SessionStatus, elapsedSeconds: number, focusSeconds: number | null, remainingSeconds: number | null, startedAt: string, endedAt: string | null, pausedReason: PauseReason | null, subject: { id: string, name: string } } };

export type SessionQueryVariables = Exact<{
  id: string;
}>;


export type SessionQuery = { session: { id: string, type: SessionType, status: SessionStatus, elapsedSeconds: number, focusSeconds: number | null, remainingSeconds: number | null, startedAt: string, endedAt: string | null, pausedReason: PauseReason | null, subject: { id: string, name: string } } | null };

export type ActiveQueryVariables = Exact<{ [key: string]: never; }>;


export type ActiveQuery = { activeSession: { id: string, type: SessionType, status: SessionStatus, elapsedSeconds: number, focusSeconds: number | null, remainingSeconds: number | null, startedAt: string, endedAt: string | null, pausedReason: PauseReason | null, subject: { id: string, name: string } } | null };

export type SessionsQueryVariables = Exact<{
  first?: number | null | undefined;
  after?: string | null | undefined;
  subjectId?: string | null | undefined;
  status?: SessionStatus | null | undefined;
}>;


export type SessionsQuery = { sessions: { edges: Array<{ cursor: string, node: { id: string, type: SessionType, status: SessionStatus, elapsedSeconds: number, focusSeconds: number | null, remainingSeconds: number | null, startedAt: string, endedAt: string | null, pausedReason: PauseReason | null, subject: { id: string, name: string } } }>, pageInfo: { hasNextPage: boolean, endCursor: string | null } } };

export type TimerSubscriptionVariables = Exact<{
  id: string;
}>;


export type TimerSubscription = { timerUpdated: { sessionId: string, status: SessionStatus, elapsedSeconds: number, remainingSeconds: number | null, serverTime: string } };

export type ActiveSessionUpdatedSubscriptionVariables = Exact<{ [key: string]: never; }>;


export type ActiveSessionUpdatedSubscription = { activeSessionUpdated: { serverTime: string, session: { id: string, type: SessionType, status: SessionStatus, elapsedSeconds: number, focusSeconds: number | null, remainingSeconds: number | null, startedAt: string, endedAt: string | null, pausedReason: PauseReason | null, subject: { id: string, name: string } } | null } };

export type DashboardQueryVariables = Exact<{
  id: string;
}>;


export type DashboardQuery = { session: { id: string, status: SessionStatus, elapsedSeconds: number, remainingSeconds: number | null } | null, activeSession: { id: string, status: SessionStatus } | null, sessions: { edges: Array<{ node: { id: string, status: SessionStatus } }> } };

export class TypedDocumentString<TResult, TVariables>
  extends String
  implements DocumentTypeDecoration<TResult, TVariables>
{
  __apiType?: NonNullable<DocumentTypeDecoration<TResult, TVariables>['__apiType']>;
  private value: string;
  public __meta__?: Record<string, any> | undefined;

  constructor(value: string, __meta__?: Record<string, any> | undefined) {
    super(value);
    this.value = value;
    this.__meta__ = __meta__;
  }

  override toString(): string & DocumentTypeDecoration<TResult, TVariables> {
    return this.value;
  }
}
export const BreakSessionFieldsFragmentDoc = new TypedDocumentString(`
    fragment BreakSessionFields on StudySession {
  id
  type
  status
  elapsedSeconds
  focusSeconds
  remainingSeconds
  startedAt
  endedAt
  subject {
    id
  }
  nextBreak {
    kind
    minutes
  }
}
    `, {"fragmentName":"BreakSessionFields"}) as unknown as TypedDocumentString<BreakSessionFieldsFragment, unknown>;
export const ManagedSubjectFieldsFragmentDoc = new TypedDocumentString(`
    fragment ManagedSubjectFields on Subject {
  id
  name
  color
  archivedAt
  createdAt
}
    `, {"fragmentName":"ManagedSubjectFields"}) as unknown as TypedDocumentString<ManagedSubjectFieldsFragment, unknown>;
export const SessionFieldsFragmentDoc = new TypedDocumentString(`
    fragment SessionFields on StudySession {
  id
  type
  status
  elapsedSeconds
  focusSeconds
  remainingSeconds
  startedAt
  endedAt
  pausedReason
  subject {
    id
    name
  }
}
    `, {"fragmentName":"SessionFields"}) as unknown as TypedDocumentString<SessionFieldsFragment, unknown>;
export const ChangePasswordDocument = new TypedDocumentString(`
    mutation ChangePassword($current: String!, $new: String!) {
  changePassword(current: $current, new: $new)
}
    `) as unknown as TypedDocumentString<ChangePasswordMutation, ChangePasswordMutationVariables>;
export const LogInsDocument = new TypedDocumentString(`
    query LogIns {
  logIns {
    id
    createdAt
    lastUsedAt
    userAgent
    address
    current
  }
}
    `) as unknown as TypedDocumentString<LogInsQuery, LogInsQueryVariables>;
export const RevokeLogInDocument = new TypedDocumentString(`
    mutation RevokeLogIn($id: ID!) {
  revokeLogIn(id: $id)
}
    `) as unknown as TypedDocumentString<RevokeLogInMutation, RevokeLogInMutationVariables>;
export const UpdateSettingsDocument = new TypedDocumentString(`
    mutation UpdateSettings($input: UpdateSettingsInput!) {
  updateSettings(input: $input) {
    timeZone
    weekStart
    goal {
      dailyMinutes
      weeklyMinutes
    }
  }
}
    `) as unknown as TypedDocumentString<UpdateSettingsMutation, UpdateSettingsMutationVariables>;
export const StartBreakDocument = new TypedDocumentString(`
    mutation StartBreak($input: StartSessionInput!) {
  startSession(input: $input) {
    ...BreakSessionFields
  }
}
    fragment BreakSessionFields on StudySession {
  id
  type
  status
  elapsedSeconds
  focusSeconds
  remainingSeconds
  startedAt
  endedAt
  subject {
    id
  }
  nextBreak {
    kind
    minutes
  }
}`) as unknown as TypedDocumentString<StartBreakMutation, StartBreakMutationVariables>;
export const ReadBreakDocument = new TypedDocumentString(`
    query ReadBreak($id: ID!) {
  session(id: $id) {
    ...BreakSessionFields
  }
}
    fragment BreakSessionFields on StudySession {
  id
  type
  status
  elapsedSeconds
  focusSeconds
  remainingSeconds
  startedAt
  endedAt
  subject {
    id
  }
  nextBreak {
    kind
    minutes
  }
}`) as unknown as TypedDocumentString<ReadBreakQuery, ReadBreakQueryVariables>;
export const NextBreakDocument = new TypedDocumentString(`
    query NextBreak {
  me {
    id
    nextBreak {
      kind
      minutes
    }
  }
}
    `) as unknown as TypedDocumentString<NextBreakQuery, NextBreakQueryVariables>;
export const BreakSettingsDocument = new TypedDocumentString(`
    query BreakSettings {
  me {
    id
    settings {
      breaks {
        shortBreakMinutes
        longBreakMinutes
        longBreakEvery
      }
    }
  }
}
    `) as unknown as TypedDocumentString<BreakSettingsQuery, BreakSettingsQueryVariables>;
export const SetBreakSettingsDocument = new TypedDocumentString(`
    mutation SetBreakSettings($shortBreakMinutes: Int, $longBreakMinutes: Int, $longBreakEvery: Int) {
  setBreakSettings(
    shortBreakMinutes: $shortBreakMinutes
    longBreakMinutes: $longBreakMinutes
    longBreakEvery: $longBreakEvery
  ) {
    breaks {
      shortBreakMinutes
      longBreakMinutes
      longBreakEvery
    }
  }
}
    `) as unknown as TypedDocumentString<SetBreakSettingsMutation, SetBreakSettingsMutationVariables>;
export const BreaksGoalDocument = new TypedDocumentString(`
    mutation BreaksGoal($dailyMinutes: Int) {
  setStudyGoal(dailyMinutes: $dailyMinutes) {
    goal {
      dailyMinutes
    }
  }
}
    `) as unknown as TypedDocumentString<BreaksGoalMutation, BreaksGoalMutationVariables>;
export const BreakStatsDocument = new TypedDocumentString(`
    query BreakStats($from: Date!, $to: Date!, $timeZone: String!, $minDailySeconds: Int) {
  studyStats(
    from: $from
    to: $to
    timeZone: $timeZone
    minDailySeconds: $minDailySeconds
  ) {
    totalSeconds
    days {
      date
      seconds
      bySubject {
        subject {
          id
        }
        seconds
        sessions
      }
    }
    bySubject {
      subject {
        id
      }
      seconds
      sessions
    }
    completedPomodoros
    currentStreakDays
    longestStreakDays
    goal {
      dailyProgressSeconds
      weeklyProgressSeconds
    }
  }
}
    `) as unknown as TypedDocumentString<BreakStatsQuery, BreakStatsQueryVariables>;
export const WebAppSettingsDocument = new TypedDocumentString(`
    mutation WebAppSettings($input: UpdateSettingsInput!) {
  updateSettings(input: $input) {
    timeZone
  }
}
    `) as unknown as TypedDocumentString<WebAppSettingsMutation, WebAppSettingsMutationVariables>;
export const WebAppAllSubjectsDocument = new TypedDocumentString(`
    query WebAppAllSubjects {
  subjects(includeArchived: true) {
    name
    color
    archivedAt
  }
}
    `) as unknown as TypedDocumentString<WebAppAllSubjectsQuery, WebAppAllSubjectsQueryVariables>;
export const ListDocument = new TypedDocumentString(`
    query List {
  sessions(first: 100) {
    edges {
      node {
        id
        type
        status
        elapsedSeconds
        focusSeconds
        remainingSeconds
        startedAt
        endedAt
        pausedReason
      }
    }
  }
}
    `) as unknown as TypedDocumentString<ListQuery, ListQueryVariables>;
export const TimerStatusDocument = new TypedDocumentString(`
    subscription TimerStatus($id: ID!) {
  timerUpdated(sessionId: $id) {
    sessionId
    status
  }
}
    `) as unknown as TypedDocumentString<TimerStatusSubscription, TimerStatusSubscriptionVariables>;
export const ManageSessionsInRangeDocument = new TypedDocumentString(`
    query ManageSessionsInRange($from: DateTime, $to: DateTime, $first: Int, $after: String, $subjectId: ID) {
  sessions(
    from: $from
    to: $to
    first: $first
    after: $after
    subjectId: $subjectId
  ) {
    edges {
      cursor
      node {
        id
        startedAt
      }
    }
    pageInfo {
      hasNextPage
      endCursor
    }
  }
}
    `) as unknown as TypedDocumentString<ManageSessionsInRangeQuery, ManageSessionsInRangeQueryVariables>;
export const ManageStopWithNoteDocument = new TypedDocumentString(`
    mutation ManageStopWithNote($id: ID!, $note: String) {
  stopSession(sessionId: $id, note: $note) {
    id
    status
    note
    endedAt
  }
}
    `) as unknown as TypedDocumentString<ManageStopWithNoteMutation, ManageStopWithNoteMutationVariables>;
export const ManageUpdateSessionNoteDocument = new TypedDocumentString(`
    mutation ManageUpdateSessionNote($id: ID!, $note: String) {
  updateSessionNote(id: $id, note: $note) {
    id
    status
    note
    elapsedSeconds
  }
}
    `) as unknown as TypedDocumentString<ManageUpdateSessionNoteMutation, ManageUpdateSessionNoteMutationVariables>;
export const ManageSessionNoteDocument = new TypedDocumentString(`
    query ManageSessionNote($id: ID!) {
  session(id: $id) {
    id
    note
  }
}
    `) as unknown as TypedDocumentString<ManageSessionNoteQuery, ManageSessionNoteQueryVariables>;
export const ManageDeleteSessionDocument = new TypedDocumentString(`
    mutation ManageDeleteSession($id: ID!) {
  deleteSession(id: $id)
}
    `) as unknown as TypedDocumentString<ManageDeleteSessionMutation, ManageDeleteSessionMutationVariables>;
export const ManageActiveSessionNoteDocument = new TypedDocumentString(`
    subscription ManageActiveSessionNote {
  activeSessionUpdated {
    session {
      id
      status
      note
    }
  }
}
    `) as unknown as TypedDocumentString<ManageActiveSessionNoteSubscription, ManageActiveSessionNoteSubscriptionVariables>;
export const ManageSessionStatsDocument = new TypedDocumentString(`
    query ManageSessionStats($day: Date!) {
  studyStats(from: $day, to: $day, timeZone: "UTC") {
    totalSeconds
    completedPomodoros
  }
}
    `) as unknown as TypedDocumentString<ManageSessionStatsQuery, ManageSessionStatsQueryVariables>;
export const PropertyStatsDocument = new TypedDocumentString(`
    query PropertyStats($from: Date!, $to: Date!, $timeZone: String!) {
  studyStats(from: $from, to: $to, timeZone: $timeZone) {
    totalSeconds
    days {
      date
      seconds
    }
    completedPomodoros
  }
}
    `) as unknown as TypedDocumentString<PropertyStatsQuery, PropertyStatsQueryVariables>;
export const StudyStatsDocument = new TypedDocumentString(`
    query StudyStats($from: Date!, $to: Date!, $timeZone: String!, $subjectId: ID, $minDailySeconds: Int) {
  studyStats(
    from: $from
    to: $to
    timeZone: $timeZone
    subjectId: $subjectId
    minDailySeconds: $minDailySeconds
  ) {
    totalSeconds
    days {
      date
      seconds
      bySubject {
        subject {
          id
          name
        }
        seconds
        sessions
      }
    }
    bySubject {
      subject {
        id
        name
      }
      seconds
      sessions
    }
    completedPomodoros
    currentStreakDays
    longestStreakDays
    goal {
      dailyMinutes
      weeklyMinutes
      dailyProgressSeconds
      weeklyProgressSeconds
    }
  }
}
    `) as unknown as TypedDocumentString<StudyStatsQuery, StudyStatsQueryVariables>;
export const SetStudyGoalDocument = new TypedDocumentString(`
    mutation SetStudyGoal($dailyMinutes: Int, $weeklyMinutes: Int) {
  setStudyGoal(dailyMinutes: $dailyMinutes, weeklyMinutes: $weeklyMinutes) {
    timeZone
    weekStart
    goal {
      dailyMinutes
      weeklyMinutes
    }
  }
}
    `) as unknown as TypedDocumentString<SetStudyGoalMutation, SetStudyGoalMutationVariables>;
export const MySettingsDocument = new TypedDocumentString(`
    query MySettings {
  me {
    id
    settings {
      timeZone
      weekStart
      goal {
        dailyMinutes
        weeklyMinutes
      }
    }
  }
}
    `) as unknown as TypedDocumentString<MySettingsQuery, MySettingsQueryVariables>;
export const ManageCreateSubjectDocument = new TypedDocumentString(`
    mutation ManageCreateSubject($input: CreateSubjectInput!) {
  createSubject(input: $input) {
    ...ManagedSubjectFields
  }
}
    fragment ManagedSubjectFields on Subject {
  id
  name
  color
  archivedAt
  createdAt
}`) as unknown as TypedDocumentString<ManageCreateSubjectMutation, ManageCreateSubjectMutationVariables>;
export const ManageRenameSubjectDocument = new TypedDocumentString(`
    mutation ManageRenameSubject($id: ID!, $name: String!) {
  renameSubject(id: $id, name: $name) {
    ...ManagedSubjectFields
  }
}
    fragment ManagedSubjectFields on Subject {
  id
  name
  color
  archivedAt
  createdAt
}`) as unknown as TypedDocumentString<ManageRenameSubjectMutation, ManageRenameSubjectMutationVariables>;
export const ManageUpdateSubjectDocument = new TypedDocumentString(`
    mutation ManageUpdateSubject($id: ID!, $input: UpdateSubjectInput!) {
  updateSubject(id: $id, input: $input) {
    ...ManagedSubjectFields
  }
}
    fragment ManagedSubjectFields on Subject {
  id
  name
  color
  archivedAt
  createdAt
}`) as unknown as TypedDocumentString<ManageUpdateSubjectMutation, ManageUpdateSubjectMutationVariables>;
export const ManageArchiveSubjectDocument = new TypedDocumentString(`
    mutation ManageArchiveSubject($id: ID!) {
  archiveSubject(id: $id) {
    ...ManagedSubjectFields
  }
}
    fragment ManagedSubjectFields on Subject {
  id
  name
  color
  archivedAt
  createdAt
}`) as unknown as TypedDocumentString<ManageArchiveSubjectMutation, ManageArchiveSubjectMutationVariables>;
export const ManageUnarchiveSubjectDocument = new TypedDocumentString(`
    mutation ManageUnarchiveSubject($id: ID!) {
  unarchiveSubject(id: $id) {
    ...ManagedSubjectFields
  }
}
    fragment ManagedSubjectFields on Subject {
  id
  name
  color
  archivedAt
  createdAt
}`) as unknown as TypedDocumentString<ManageUnarchiveSubjectMutation, ManageUnarchiveSubjectMutationVariables>;
export const ManageDeleteSubjectDocument = new TypedDocumentString(`
    mutation ManageDeleteSubject($id: ID!, $deleteSessions: Boolean) {
  deleteSubject(id: $id, deleteSessions: $deleteSessions)
}
    `) as unknown as TypedDocumentString<ManageDeleteSubjectMutation, ManageDeleteSubjectMutationVariables>;
export const ManageSubjectsDocument = new TypedDocumentString(`
    query ManageSubjects($includeArchived: Boolean) {
  subjects(includeArchived: $includeArchived) {
    ...ManagedSubjectFields
  }
}
    fragment ManagedSubjectFields on Subject {
  id
  name
  color
  archivedAt
  createdAt
}`) as unknown as TypedDocumentString<ManageSubjectsQuery, ManageSubjectsQueryVariables>;
export const ManageSubjectsDefaultDocument = new TypedDocumentString(`
    query ManageSubjectsDefault {
  subjects {
    id
  }
}
    `) as unknown as TypedDocumentString<ManageSubjectsDefaultQuery, ManageSubjectsDefaultQueryVariables>;
export const ManageSubjectHistoryDocument = new TypedDocumentString(`
    query ManageSubjectHistory($subjectId: ID) {
  sessions(subjectId: $subjectId, first: 100) {
    edges {
      node {
        id
        status
        elapsedSeconds
        subject {
          id
          name
          archivedAt
          color
        }
      }
    }
  }
}
    `) as unknown as TypedDocumentString<ManageSubjectHistoryQuery, ManageSubjectHistoryQueryVariables>;
export const ManageSubjectStatsDocument = new TypedDocumentString(`
    query ManageSubjectStats($from: Date!, $to: Date!, $subjectId: ID) {
  studyStats(from: $from, to: $to, timeZone: "UTC", subjectId: $subjectId) {
    totalSeconds
    completedPomodoros
    bySubject {
      subject {
        id
        name
        archivedAt
        color
      }
      seconds
      sessions
    }
  }
}
    `) as unknown as TypedDocumentString<ManageSubjectStatsQuery, ManageSubjectStatsQueryVariables>;
export const SignUpDocument = new TypedDocumentString(`
    mutation SignUp($input: SignUpInput!) {
  signUp(input: $input) {
    accessToken
    refreshToken
    expiresAt
    user {
      id
      email
      createdAt
    }
  }
}
    `) as unknown as TypedDocumentString<SignUpMutation, SignUpMutationVariables>;
export const LogInDocument = new TypedDocumentString(`
    mutation LogIn($input: LogInInput!) {
  logIn(input: $input) {
    accessToken
    refreshToken
    expiresAt
    user {
      id
      email
    }
  }
}
    `) as unknown as TypedDocumentString<LogInMutation, LogInMutationVariables>;
export const RefreshDocument = new TypedDocumentString(`
    mutation Refresh($refreshToken: String, $cookieMode: Boolean) {
  refreshToken(refreshToken: $refreshToken, cookieMode: $cookieMode) {
    accessToken
    refreshToken
    expiresAt
    user {
      id
    }
  }
}
    `) as unknown as TypedDocumentString<RefreshMutation, RefreshMutationVariables>;
export const LogOutDocument = new TypedDocumentString(`
    mutation LogOut($refreshToken: String) {
  logOut(refreshToken: $refreshToken)
}
    `) as unknown as TypedDocumentString<LogOutMutation, LogOutMutationVariables>;
export const DeleteAccountDocument = new TypedDocumentString(`
    mutation DeleteAccount($password: String!) {
  deleteAccount(password: $password)
}
    `) as unknown as TypedDocumentString<DeleteAccountMutation, DeleteAccountMutationVariables>;
export const MeDocument = new TypedDocumentString(`
    query Me {
  me {
    id
    email
  }
}
    `) as unknown as TypedDocumentString<MeQuery, MeQueryVariables>;
export const CreateSubjectDocument = new TypedDocumentString(`
    mutation CreateSubject($name: String!) {
  createSubject(input: {name: $name}) {
    id
    name
    createdAt
  }
}
    `) as unknown as TypedDocumentString<CreateSubjectMutation, CreateSubjectMutationVariables>;
export const SubjectsDocument = new TypedDocumentString(`
    query Subjects {
  subjects {
    id
    name
  }
}
    `) as unknown as TypedDocumentString<SubjectsQuery, SubjectsQueryVariables>;
export const StartDocument = new TypedDocumentString(`
    mutation Start($input: StartSessionInput!) {
  startSession(input: $input) {
    ...SessionFields
  }
}
    fragment SessionFields on StudySession {
  id
  type
  status
  elapsedSeconds
  focusSeconds
  remainingSeconds
  startedAt
  endedAt
  pausedReason
  subject {
    id
    name
  }
}`) as unknown as TypedDocumentString<StartMutation, StartMutationVariables>;
export const PauseDocument = new TypedDocumentString(`
    mutation Pause($id: ID!) {
  pauseSession(sessionId: $id) {
    ...SessionFields
  }
}
    fragment SessionFields on StudySession {
  id
  type
  status
  elapsedSeconds
  focusSeconds
  remainingSeconds
  startedAt
  endedAt
  pausedReason
  subject {
    id
    name
  }
}`) as unknown as TypedDocumentString<PauseMutation, PauseMutationVariables>;
export const ResumeDocument = new TypedDocumentString(`
    mutation Resume($id: ID!) {
  resumeSession(sessionId: $id) {
    ...SessionFields
  }
}
    fragment SessionFields on StudySession {
  id
  type
  status
  elapsedSeconds
  focusSeconds
  remainingSeconds
  startedAt
  endedAt
  pausedReason
  subject {
    id
    name
  }
}`) as unknown as TypedDocumentString<ResumeMutation, ResumeMutationVariables>;
export const StopDocument = new TypedDocumentString(`
    mutation Stop($id: ID!) {
  stopSession(sessionId: $id) {
    ...SessionFields
  }
}
    fragment SessionFields on StudySession {
  id
  type
  status
  elapsedSeconds
  focusSeconds
  remainingSeconds
  startedAt
  endedAt
  pausedReason
  subject {
    id
    name
  }
}`) as unknown as TypedDocumentString<StopMutation, StopMutationVariables>;
export const SessionDocument = new TypedDocumentString(`
    query Session($id: ID!) {
  session(id: $id) {
    ...SessionFields
  }
}
    fragment SessionFields on StudySession {
  id
  type
  status
  elapsedSeconds
  focusSeconds
  remainingSeconds
  startedAt
  endedAt
  pausedReason
  subject {
    id
    name
  }
}`) as unknown as TypedDocumentString<SessionQuery, SessionQueryVariables>;
export const ActiveDocument = new TypedDocumentString(`
    query Active {
  activeSession {
    ...SessionFields
  }
}
    fragment SessionFields on StudySession {
  id
  type
  status
  elapsedSeconds
  focusSeconds
  remainingSeconds
  startedAt
  endedAt
  pausedReason
  subject {
    id
    name
  }
}`) as unknown as TypedDocumentString<ActiveQuery, ActiveQueryVariables>;
export const SessionsDocument = new TypedDocumentString(`
    query Sessions($first: Int, $after: String, $subjectId: ID, $status: SessionStatus) {
  sessions(first: $first, after: $after, subjectId: $subjectId, status: $status) {
    edges {
      cursor
      node {
        ...SessionFields
      }
    }
    pageInfo {
      hasNextPage
      endCursor
    }
  }
}
    fragment SessionFields on StudySession {
  id
  type
  status
  elapsedSeconds
  focusSeconds
  remainingSeconds
  startedAt
  endedAt
  pausedReason
  subject {
    id
    name
  }
}`) as unknown as TypedDocumentString<SessionsQuery, SessionsQueryVariables>;
export const TimerDocument = new TypedDocumentString(`
    subscription Timer($id: ID!) {
  timerUpdated(sessionId: $id) {
    sessionId
    status
    elapsedSeconds
    remainingSeconds
    serverTime
  }
}
    `) as unknown as TypedDocumentString<TimerSubscription, TimerSubscriptionVariables>;
export const ActiveSessionUpdatedDocument = new TypedDocumentString(`
    subscription ActiveSessionUpdated {
  activeSessionUpdated {
    serverTime
    session {
      ...SessionFields
    }
  }
}
    fragment SessionFields on StudySession {
  id
  type
  status
  elapsedSeconds
  focusSeconds
  remainingSeconds
  startedAt
  endedAt
  pausedReason
  subject {
    id
    name
  }
}`) as unknown as TypedDocumentString<ActiveSessionUpdatedSubscription, ActiveSessionUpdatedSubscriptionVariables>;
export const DashboardDocument = new TypedDocumentString(`
    query Dashboard($id: ID!) {
  session(id: $id) {
    id
    status
    elapsedSeconds
    remainingSeconds
  }
  activeSession {
    id
    status
  }
  sessions(status: RUNNING) {
    edges {
      node {
        id
        status
      }
    }
  }
}
    `) as unknown as TypedDocumentString<DashboardQuery, DashboardQueryVariables>;