import { graphql } from './__generated__/index.js';

// Every document the app sends. `npm run codegen` checks each against schema/ and types its
// result and variables (./__generated__/), so a schema change that breaks the app breaks the build.

/** What signing in gives the token module: the access token, its expiry and who signed in. */
export const AuthPayloadFields = graphql(`
  fragment AuthPayloadFields on AuthPayload {
    accessToken
    expiresAt
    user { id email }
  }
`);

// Cookie mode throughout: the refresh token lives only in the httpOnly cookie, never in script.
export const SignUpDocument = graphql(`
  mutation SignUp($email: String!, $password: String!) {
    signUp(input: { email: $email, password: $password, cookieMode: true }) { ...AuthPayloadFields }
  }
`);
export const LogInDocument = graphql(`
  mutation LogIn($email: String!, $password: String!) {
    logIn(input: { email: $email, password: $password, cookieMode: true }) { ...AuthPayloadFields }
  }
`);
export const RefreshDocument = graphql(`
  mutation Refresh {
    refreshToken(cookieMode: true) { ...AuthPayloadFields }
  }
`);
export const LogOutDocument = graphql(`
  mutation LogOut { logOut }
`);

export const SubjectsDocument = graphql(`
  query Subjects { subjects { id name color } }
`);
export const CreateSubjectDocument = graphql(`
  mutation CreateSubject($name: String!) { createSubject(input: { name: $name }) { id name color } }
`);

/** What the subjects page shows and edits of a subject. */
export const ManagedSubjectFields = graphql(`
  fragment ManagedSubjectFields on Subject { id name color archivedAt }
`);
/** Every subject, archived ones too: the subjects page filters them itself. */
export const AllSubjectsDocument = graphql(`
  query AllSubjects { subjects(includeArchived: true) { ...ManagedSubjectFields } }
`);
export const UpdateSubjectDocument = graphql(`
  mutation UpdateSubject($id: ID!, $input: UpdateSubjectInput!) {
    updateSubject(id: $id, input: $input) { ...ManagedSubjectFields }
  }
`);
export const ArchiveSubjectDocument = graphql(`
  mutation ArchiveSubject($id: ID!) { archiveSubject(id: $id) { ...ManagedSubjectFields } }
`);
export const UnarchiveSubjectDocument = graphql(`
  mutation UnarchiveSubject($id: ID!) { unarchiveSubject(id: $id) { ...ManagedSubjectFields } }
`);

/** The settings the statistics page needs: the time zone to count days in, the week's first day. */
export const StatsSettingsDocument = graphql(`
  query StatsSettings { me { id settings { timeZone weekStart } } }
`);
export const StudyStatsDocument = graphql(`
  query StudyStats($from: Date!, $to: Date!, $timeZone: String!) {
    studyStats(from: $from, to: $to, timeZone: $timeZone) {
      totalSeconds
      completedPomodoros
      currentStreakDays
      longestStreakDays
      days { date seconds }
      bySubject { seconds sessions subject { id name color } }
      goal { dailyMinutes weeklyMinutes dailyProgressSeconds weeklyProgressSeconds }
    }
  }
`);

export const LogInsDocument = graphql(`
  query LogIns { logIns { id createdAt lastUsedAt userAgent address current } }
`);
export const RevokeLogInDocument = graphql(`
  mutation RevokeLogIn($id: ID!) { revokeLogIn(id: $id) }
`);
export const ChangePasswordDocument = graphql(`
  mutation ChangePassword($current: String!, $new: String!) { changePassword(current: $current, new: $new) }
`);
// Sent by ./auth/credentials.ts (it ends the credentials), not through Apollo Client.
export const DeleteAccountDocument = graphql(`
  mutation DeleteAccount($password: String!) { deleteAccount(password: $password) }
`);

/** Everything the timer card shows of a session. */
export const SessionCardFields = graphql(`
  fragment SessionCardFields on StudySession {
    id
    type
    status
    elapsedSeconds
    focusSeconds
    remainingSeconds
    startedAt
    endedAt
    pausedReason
    subject { id name }
  }
`);
/** The state of a session as the cache last had it: how the dashboard tells a stop from a completion. */
export const TimerReadingFields = graphql(`
  fragment TimerReadingFields on StudySession { status elapsedSeconds remainingSeconds }
`);

export const ActiveSessionDocument = graphql(`
  query ActiveSession { activeSession { ...SessionCardFields } }
`);
export const PastSessionsDocument = graphql(`
  query PastSessions($first: Int!) {
    sessions(first: $first) { edges { node { ...SessionCardFields } } pageInfo { hasNextPage } }
  }
`);

export const StartSessionDocument = graphql(`
  mutation StartSession($input: StartSessionInput!) { startSession(input: $input) { ...SessionCardFields } }
`);
export const PauseSessionDocument = graphql(`
  mutation PauseSession($id: ID!) { pauseSession(sessionId: $id) { ...SessionCardFields } }
`);
export const ResumeSessionDocument = graphql(`
  mutation ResumeSession($id: ID!) { resumeSession(sessionId: $id) { ...SessionCardFields } }
`);
export const StopSessionDocument = graphql(`
  mutation StopSession($id: ID!) { stopSession(sessionId: $id) { ...SessionCardFields } }
`);

/**
 * The student's active session, live across tabs and devices: the current state first, then
 * every start, pause, resume, stop and completion wherever it happened, and a reading each
 * displayed second while it runs.
 */
export const ActiveSessionUpdatedDocument = graphql(`
  subscription ActiveSessionUpdated {
    activeSessionUpdated { serverTime session { ...SessionCardFields } }
  }
`);
