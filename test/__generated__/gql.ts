/* eslint-disable */
import * as types from './graphql.js';



/**
 * Map of all GraphQL operations in the project.
 *
 * This map has several performance disadvantages:
 * 1. It is not tree-shakeable, so it will include all operations in the project.
 * 2. It is not minifiable, so the string of a GraphQL query will be multiple times inside the bundle.
 * 3. It does not support dead code elimination, so it will add unused operations.
 *
 * Therefore it is highly recommended to use the babel or swc plugin for production.
 * Learn more about it here: https://the-guild.dev/graphql/codegen/plugins/presets/preset-client#reducing-bundle-size
 */
type Documents = {
    "\n  mutation ChangePassword($current: String!, $new: String!) { changePassword(current: $current, new: $new) }\n": typeof types.ChangePasswordDocument,
    "query LogIns { logIns { id createdAt lastUsedAt userAgent address current } }": typeof types.LogInsDocument,
    "mutation RevokeLogIn($id: ID!) { revokeLogIn(id: $id) }": typeof types.RevokeLogInDocument,
    "\n  mutation UpdateSettings($input: UpdateSettingsInput!) {\n    updateSettings(input: $input) { timeZone weekStart goal { dailyMinutes weeklyMinutes } }\n  }\n": typeof types.UpdateSettingsDocument,
    "\n  fragment BreakSessionFields on StudySession {\n    id type status elapsedSeconds focusSeconds remainingSeconds startedAt endedAt subject { id } nextBreak { kind minutes }\n  }\n": typeof types.BreakSessionFieldsFragmentDoc,
    "mutation StartBreak($input: StartSessionInput!) { startSession(input: $input) { ...BreakSessionFields } }": typeof types.StartBreakDocument,
    "query ReadBreak($id: ID!) { session(id: $id) { ...BreakSessionFields } }": typeof types.ReadBreakDocument,
    "query NextBreak { me { id nextBreak { kind minutes } } }": typeof types.NextBreakDocument,
    "query BreakSettings { me { id settings { breaks { shortBreakMinutes longBreakMinutes longBreakEvery } } } }": typeof types.BreakSettingsDocument,
    "\n  mutation SetBreakSettings($shortBreakMinutes: Int, $longBreakMinutes: Int, $longBreakEvery: Int) {\n    setBreakSettings(shortBreakMinutes: $shortBreakMinutes, longBreakMinutes: $longBreakMinutes, longBreakEvery: $longBreakEvery) {\n      breaks { shortBreakMinutes longBreakMinutes longBreakEvery }\n    }\n  }\n": typeof types.SetBreakSettingsDocument,
    "mutation BreaksGoal($dailyMinutes: Int) { setStudyGoal(dailyMinutes: $dailyMinutes) { goal { dailyMinutes } } }": typeof types.BreaksGoalDocument,
    "\n  query BreakStats($from: Date!, $to: Date!, $timeZone: String!, $minDailySeconds: Int) {\n    studyStats(from: $from, to: $to, timeZone: $timeZone, minDailySeconds: $minDailySeconds) {\n      totalSeconds\n      days { date seconds bySubject { subject { id } seconds sessions } }\n      bySubject { subject { id } seconds sessions }\n      completedPomodoros\n      currentStreakDays\n      longestStreakDays\n      goal { dailyProgressSeconds weeklyProgressSeconds }\n    }\n  }\n": typeof types.BreakStatsDocument,
    "\n  mutation WebAppSettings($input: UpdateSettingsInput!) { updateSettings(input: $input) { timeZone } }\n": typeof types.WebAppSettingsDocument,
    "\n  query WebAppAllSubjects { subjects(includeArchived: true) { name color archivedAt } }\n": typeof types.WebAppAllSubjectsDocument,
    "\n  query List {\n    sessions(first: 100) {\n      edges { node { id type status elapsedSeconds focusSeconds remainingSeconds startedAt endedAt pausedReason } }\n    }\n  }\n": typeof types.ListDocument,
    "subscription TimerStatus($id: ID!) { timerUpdated(sessionId: $id) { sessionId status } }": typeof types.TimerStatusDocument,
    "\n  query ManageSessionsInRange($from: DateTime, $to: DateTime, $first: Int, $after: String, $subjectId: ID) {\n    sessions(from: $from, to: $to, first: $first, after: $after, subjectId: $subjectId) {\n      edges { cursor node { id startedAt } }\n      pageInfo { hasNextPage endCursor }\n    }\n  }\n": typeof types.ManageSessionsInRangeDocument,
    "\n  mutation ManageStopWithNote($id: ID!, $note: String) { stopSession(sessionId: $id, note: $note) { id status note endedAt } }\n": typeof types.ManageStopWithNoteDocument,
    "\n  mutation ManageUpdateSessionNote($id: ID!, $note: String) { updateSessionNote(id: $id, note: $note) { id status note elapsedSeconds } }\n": typeof types.ManageUpdateSessionNoteDocument,
    "query ManageSessionNote($id: ID!) { session(id: $id) { id note } }": typeof types.ManageSessionNoteDocument,
    "mutation ManageDeleteSession($id: ID!) { deleteSession(id: $id) }": typeof types.ManageDeleteSessionDocument,
    "\n  subscription ManageActiveSessionNote { activeSessionUpdated { session { id status note } } }\n": typeof types.ManageActiveSessionNoteDocument,
    "\n  query ManageSessionStats($day: Date!) { studyStats(from: $day, to: $day, timeZone: \"UTC\") { totalSeconds completedPomodoros } }\n": typeof types.ManageSessionStatsDocument,
    "\n  query PropertyStats($from: Date!, $to: Date!, $timeZone: String!) {\n    studyStats(from: $from, to: $to, timeZone: $timeZone) { totalSeconds days { date seconds } completedPomodoros }\n  }\n": typeof types.PropertyStatsDocument,
    "\n  query StudyStats($from: Date!, $to: Date!, $timeZone: String!, $subjectId: ID, $minDailySeconds: Int) {\n    studyStats(from: $from, to: $to, timeZone: $timeZone, subjectId: $subjectId, minDailySeconds: $minDailySeconds) {\n      totalSeconds\n      days { date seconds bySubject { subject { id name } seconds sessions } }\n      bySubject { subject { id name } seconds sessions }\n      completedPomodoros\n      currentStreakDays\n      longestStreakDays\n      goal { dailyMinutes weeklyMinutes dailyProgressSeconds weeklyProgressSeconds }\n    }\n  }\n": typeof types.StudyStatsDocument,
    "\n  mutation SetStudyGoal($dailyMinutes: Int, $weeklyMinutes: Int) {\n    setStudyGoal(dailyMinutes: $dailyMinutes, weeklyMinutes: $weeklyMinutes) { timeZone weekStart goal { dailyMinutes weeklyMinutes } }\n  }\n": typeof types.SetStudyGoalDocument,
    "query MySettings { me { id settings { timeZone weekStart goal { dailyMinutes weeklyMinutes } } } }": typeof types.MySettingsDocument,
    "\n  fragment ManagedSubjectFields on Subject { id name color archivedAt createdAt }\n": typeof types.ManagedSubjectFieldsFragmentDoc,
    "\n  mutation ManageCreateSubject($input: CreateSubjectInput!) { createSubject(input: $input) { ...ManagedSubjectFields } }\n": typeof types.ManageCreateSubjectDocument,
    "\n  mutation ManageRenameSubject($id: ID!, $name: String!) { renameSubject(id: $id, name: $name) { ...ManagedSubjectFields } }\n": typeof types.ManageRenameSubjectDocument,
    "\n  mutation ManageUpdateSubject($id: ID!, $input: UpdateSubjectInput!) { updateSubject(id: $id, input: $input) { ...ManagedSubjectFields } }\n": typeof types.ManageUpdateSubjectDocument,
    "mutation ManageArchiveSubject($id: ID!) { archiveSubject(id: $id) { ...ManagedSubjectFields } }": typeof types.ManageArchiveSubjectDocument,
    "mutation ManageUnarchiveSubject($id: ID!) { unarchiveSubject(id: $id) { ...ManagedSubjectFields } }": typeof types.ManageUnarchiveSubjectDocument,
    "\n  mutation ManageDeleteSubject($id: ID!, $deleteSessions: Boolean) { deleteSubject(id: $id, deleteSessions: $deleteSessions) }\n": typeof types.ManageDeleteSubjectDocument,
    "\n  query ManageSubjects($includeArchived: Boolean) { subjects(includeArchived: $includeArchived) { ...ManagedSubjectFields } }\n": typeof types.ManageSubjectsDocument,
    "query ManageSubjectsDefault { subjects { id } }": typeof types.ManageSubjectsDefaultDocument,
    "\n  query ManageSubjectHistory($subjectId: ID) {\n    sessions(subjectId: $subjectId, first: 100) { edges { node { id status elapsedSeconds subject { id name archivedAt color } } } }\n  }\n": typeof types.ManageSubjectHistoryDocument,
    "\n  query ManageSubjectStats($from: Date!, $to: Date!, $subjectId: ID) {\n    studyStats(from: $from, to: $to, timeZone: \"UTC\", subjectId: $subjectId) {\n      totalSeconds\n      completedPomodoros\n      bySubject { subject { id name archivedAt color } seconds sessions }\n    }\n  }\n": typeof types.ManageSubjectStatsDocument,
    "\n  mutation SignUp($input: SignUpInput!) {\n    signUp(input: $input) { accessToken refreshToken expiresAt user { id email createdAt } }\n  }\n": typeof types.SignUpDocument,
    "\n  mutation LogIn($input: LogInInput!) {\n    logIn(input: $input) { accessToken refreshToken expiresAt user { id email } }\n  }\n": typeof types.LogInDocument,
    "\n  mutation Refresh($refreshToken: String, $cookieMode: Boolean) {\n    refreshToken(refreshToken: $refreshToken, cookieMode: $cookieMode) { accessToken refreshToken expiresAt user { id } }\n  }\n": typeof types.RefreshDocument,
    "\n  mutation LogOut($refreshToken: String) { logOut(refreshToken: $refreshToken) }\n": typeof types.LogOutDocument,
    "mutation DeleteAccount($password: String!) { deleteAccount(password: $password) }": typeof types.DeleteAccountDocument,
    "query Me { me { id email } }": typeof types.MeDocument,
    "\n  mutation CreateSubject($name: String!) { createSubject(input: { name: $name }) { id name createdAt } }\n": typeof types.CreateSubjectDocument,
    "query Subjects { subjects { id name } }": typeof types.SubjectsDocument,
    "\n  fragment SessionFields on StudySession {\n    id type status elapsedSeconds focusSeconds remainingSeconds startedAt endedAt pausedReason subject { id name }\n  }\n": typeof types.SessionFieldsFragmentDoc,
    "\n  mutation Start($input: StartSessionInput!) { startSession(input: $input) { ...SessionFields } }\n": typeof types.StartDocument,
    "mutation Pause($id: ID!) { pauseSession(sessionId: $id) { ...SessionFields } }": typeof types.PauseDocument,
    "mutation Resume($id: ID!) { resumeSession(sessionId: $id) { ...SessionFields } }": typeof types.ResumeDocument,
    "mutation Stop($id: ID!) { stopSession(sessionId: $id) { ...SessionFields } }": typeof types.StopDocument,
    "query Session($id: ID!) { session(id: $id) { ...SessionFields } }": typeof types.SessionDocument,
    "query Active { activeSession { ...SessionFields } }": typeof types.ActiveDocument,
    "\n  query Sessions($first: Int, $after: String, $subjectId: ID, $status: SessionStatus) {\n    sessions(first: $first, after: $after, subjectId: $subjectId, status: $status) {\n      edges { cursor node { ...SessionFields } }\n      pageInfo { hasNextPage endCursor }\n    }\n  }\n": typeof types.SessionsDocument,
    "\n  subscription Timer($id: ID!) {\n    timerUpdated(sessionId: $id) { sessionId status elapsedSeconds remainingSeconds serverTime }\n  }\n": typeof types.TimerDocument,
    "\n  subscription ActiveSessionUpdated { activeSessionUpdated { serverTime session { ...SessionFields } } }\n": typeof types.ActiveSessionUpdatedDocument,
    "\n  query Dashboard($id: ID!) {\n    session(id: $id) { id status elapsedSeconds remainingSeconds }\n    activeSession { id status }\n    sessions(status: RUNNING) { edges { node { id status } } }\n  }\n": typeof types.DashboardDocument,
};
const documents: Documents = {
    "\n  mutation ChangePassword($current: String!, $new: String!) { changePassword(current: $current, new: $new) }\n": types.ChangePasswordDocument,
    "query LogIns { logIns { id createdAt lastUsedAt userAgent address current } }": types.LogInsDocument,
    "mutation RevokeLogIn($id: ID!) { revokeLogIn(id: $id) }": types.RevokeLogInDocument,
    "\n  mutation UpdateSettings($input: UpdateSettingsInput!) {\n    updateSettings(input: $input) { timeZone weekStart goal { dailyMinutes weeklyMinutes } }\n  }\n": types.UpdateSettingsDocument,
    "\n  fragment BreakSessionFields on StudySession {\n    id type status elapsedSeconds focusSeconds remainingSeconds startedAt endedAt subject { id } nextBreak { kind minutes }\n  }\n": types.BreakSessionFieldsFragmentDoc,
    "mutation StartBreak($input: StartSessionInput!) { startSession(input: $input) { ...BreakSessionFields } }": types.StartBreakDocument,
    "query ReadBreak($id: ID!) { session(id: $id) { ...BreakSessionFields } }": types.ReadBreakDocument,
    "query NextBreak { me { id nextBreak { kind minutes } } }": types.NextBreakDocument,
    "query BreakSettings { me { id settings { breaks { shortBreakMinutes longBreakMinutes longBreakEvery } } } }": types.BreakSettingsDocument,
    "\n  mutation SetBreakSettings($shortBreakMinutes: Int, $longBreakMinutes: Int, $longBreakEvery: Int) {\n    setBreakSettings(shortBreakMinutes: $shortBreakMinutes, longBreakMinutes: $longBreakMinutes, longBreakEvery: $longBreakEvery) {\n      breaks { shortBreakMinutes longBreakMinutes longBreakEvery }\n    }\n  }\n": types.SetBreakSettingsDocument,
    "mutation BreaksGoal($dailyMinutes: Int) { setStudyGoal(dailyMinutes: $dailyMinutes) { goal { dailyMinutes } } }": types.BreaksGoalDocument,
    "\n  query BreakStats($from: Date!, $to: Date!, $timeZone: String!, $minDailySeconds: Int) {\n    studyStats(from: $from, to: $to, timeZone: $timeZone, minDailySeconds: $minDailySeconds) {\n      totalSeconds\n      days { date seconds bySubject { subject { id } seconds sessions } }\n      bySubject { subject { id } seconds sessions }\n      completedPomodoros\n      currentStreakDays\n      longestStreakDays\n      goal { dailyProgressSeconds weeklyProgressSeconds }\n    }\n  }\n": types.BreakStatsDocument,
    "\n  mutation WebAppSettings($input: UpdateSettingsInput!) { updateSettings(input: $input) { timeZone } }\n": types.WebAppSettingsDocument,
    "\n  query WebAppAllSubjects { subjects(includeArchived: true) { name color archivedAt } }\n": types.WebAppAllSubjectsDocument,
    "\n  query List {\n    sessions(first: 100) {\n      edges { node { id type status elapsedSeconds focusSeconds remainingSeconds startedAt endedAt pausedReason } }\n    }\n  }\n": types.ListDocument,
    "subscription TimerStatus($id: ID!) { timerUpdated(sessionId: $id) { sessionId status } }": types.TimerStatusDocument,
    "\n  query ManageSessionsInRange($from: DateTime, $to: DateTime, $first: Int, $after: String, $subjectId: ID) {\n    sessions(from: $from, to: $to, first: $first, after: $after, subjectId: $subjectId) {\n      edges { cursor node { id startedAt } }\n      pageInfo { hasNextPage endCursor }\n    }\n  }\n": types.ManageSessionsInRangeDocument,
    "\n  mutation ManageStopWithNote($id: ID!, $note: String) { stopSession(sessionId: $id, note: $note) { id status note endedAt } }\n": types.ManageStopWithNoteDocument,
    "\n  mutation ManageUpdateSessionNote($id: ID!, $note: String) { updateSessionNote(id: $id, note: $note) { id status note elapsedSeconds } }\n": types.ManageUpdateSessionNoteDocument,
    "query ManageSessionNote($id: ID!) { session(id: $id) { id note } }": types.ManageSessionNoteDocument,
    "mutation ManageDeleteSession($id: ID!) { deleteSession(id: $id) }": types.ManageDeleteSessionDocument,
    "\n  subscription ManageActiveSessionNote { activeSessionUpdated { session { id status note } } }\n": types.ManageActiveSessionNoteDocument,
    "\n  query ManageSessionStats($day: Date!) { studyStats(from: $day, to: $day, timeZone: \"UTC\") { totalSeconds completedPomodoros } }\n": types.ManageSessionStatsDocument,
    "\n  query PropertyStats($from: Date!, $to: Date!, $timeZone: String!) {\n    studyStats(from: $from, to: $to, timeZone: $timeZone) { totalSeconds days { date seconds } completedPomodoros }\n  }\n": types.PropertyStatsDocument,
    "\n  query StudyStats($from: Date!, $to: Date!, $timeZone: String!, $subjectId: ID, $minDailySeconds: Int) {\n    studyStats(from: $from, to: $to, timeZone: $timeZone, subjectId: $subjectId, minDailySeconds: $minDailySeconds) {\n      totalSeconds\n      days { date seconds bySubject { subject { id name } seconds sessions } }\n      bySubject { subject { id name } seconds sessions }\n      completedPomodoros\n      currentStreakDays\n      longestStreakDays\n      goal { dailyMinutes weeklyMinutes dailyProgressSeconds weeklyProgressSeconds }\n    }\n  }\n": types.StudyStatsDocument,
    "\n  mutation SetStudyGoal($dailyMinutes: Int, $weeklyMinutes: Int) {\n    setStudyGoal(dailyMinutes: $dailyMinutes, weeklyMinutes: $weeklyMinutes) { timeZone weekStart goal { dailyMinutes weeklyMinutes } }\n  }\n": types.SetStudyGoalDocument,
    "query MySettings { me { id settings { timeZone weekStart goal { dailyMinutes weeklyMinutes } } } }": types.MySettingsDocument,
    "\n  fragment ManagedSubjectFields on Subject { id name color archivedAt createdAt }\n": types.ManagedSubjectFieldsFragmentDoc,
    "\n  mutation ManageCreateSubject($input: CreateSubjectInput!) { createSubject(input: $input) { ...ManagedSubjectFields } }\n": types.ManageCreateSubjectDocument,
    "\n  mutation ManageRenameSubject($id: ID!, $name: String!) { renameSubject(id: $id, name: $name) { ...ManagedSubjectFields } }\n": types.ManageRenameSubjectDocument,
    "\n  mutation ManageUpdateSubject($id: ID!, $input: UpdateSubjectInput!) { updateSubject(id: $id, input: $input) { ...ManagedSubjectFields } }\n": types.ManageUpdateSubjectDocument,
    "mutation ManageArchiveSubject($id: ID!) { archiveSubject(id: $id) { ...ManagedSubjectFields } }": types.ManageArchiveSubjectDocument,
    "mutation ManageUnarchiveSubject($id: ID!) { unarchiveSubject(id: $id) { ...ManagedSubjectFields } }": types.ManageUnarchiveSubjectDocument,
    "\n  mutation ManageDeleteSubject($id: ID!, $deleteSessions: Boolean) { deleteSubject(id: $id, deleteSessions: $deleteSessions) }\n": types.ManageDeleteSubjectDocument,
    "\n  query ManageSubjects($includeArchived: Boolean) { subjects(includeArchived: $includeArchived) { ...ManagedSubjectFields } }\n": types.ManageSubjectsDocument,
    "query ManageSubjectsDefault { subjects { id } }": types.ManageSubjectsDefaultDocument,
    "\n  query ManageSubjectHistory($subjectId: ID) {\n    sessions(subjectId: $subjectId, first: 100) { edges { node { id status elapsedSeconds subject { id name archivedAt color } } } }\n  }\n": types.ManageSubjectHistoryDocument,
    "\n  query ManageSubjectStats($from: Date!, $to: Date!, $subjectId: ID) {\n    studyStats(from: $from, to: $to, timeZone: \"UTC\", subjectId: $subjectId) {\n      totalSeconds\n      completedPomodoros\n      bySubject { subject { id name archivedAt color } seconds sessions }\n    }\n  }\n": types.ManageSubjectStatsDocument,
    "\n  mutation SignUp($input: SignUpInput!) {\n    signUp(input: $input) { accessToken refreshToken expiresAt user { id email createdAt } }\n  }\n": types.SignUpDocument,
    "\n  mutation LogIn($input: LogInInput!) {\n    logIn(input: $input) { accessToken refreshToken expiresAt user { id email } }\n  }\n": types.LogInDocument,
    "\n  mutation Refresh($refreshToken: String, $cookieMode: Boolean) {\n    refreshToken(refreshToken: $refreshToken, cookieMode: $cookieMode) { accessToken refreshToken expiresAt user { id } }\n  }\n": types.RefreshDocument,
    "\n  mutation LogOut($refreshToken: String) { logOut(refreshToken: $refreshToken) }\n": types.LogOutDocument,
    "mutation DeleteAccount($password: String!) { deleteAccount(password: $password) }": types.DeleteAccountDocument,
    "query Me { me { id email } }": types.MeDocument,
    "\n  mutation CreateSubject($name: String!) { createSubject(input: { name: $name }) { id name createdAt } }\n": types.CreateSubjectDocument,
    "query Subjects { subjects { id name } }": types.SubjectsDocument,
    "\n  fragment SessionFields on StudySession {\n    id type status elapsedSeconds focusSeconds remainingSeconds startedAt endedAt pausedReason subject { id name }\n  }\n": types.SessionFieldsFragmentDoc,
    "\n  mutation Start($input: StartSessionInput!) { startSession(input: $input) { ...SessionFields } }\n": types.StartDocument,
    "mutation Pause($id: ID!) { pauseSession(sessionId: $id) { ...SessionFields } }": types.PauseDocument,
    "mutation Resume($id: ID!) { resumeSession(sessionId: $id) { ...SessionFields } }": types.ResumeDocument,
    "mutation Stop($id: ID!) { stopSession(sessionId: $id) { ...SessionFields } }": types.StopDocument,
    "query Session($id: ID!) { session(id: $id) { ...SessionFields } }": types.SessionDocument,
    "query Active { activeSession { ...SessionFields } }": types.ActiveDocument,
    "\n  query Sessions($first: Int, $after: String, $subjectId: ID, $status: SessionStatus) {\n    sessions(first: $first, after: $after, subjectId: $subjectId, status: $status) {\n      edges { cursor node { ...SessionFields } }\n      pageInfo { hasNextPage endCursor }\n    }\n  }\n": types.SessionsDocument,
    "\n  subscription Timer($id: ID!) {\n    timerUpdated(sessionId: $id) { sessionId status elapsedSeconds remainingSeconds serverTime }\n  }\n": types.TimerDocument,
    "\n  subscription ActiveSessionUpdated { activeSessionUpdated { serverTime session { ...SessionFields } } }\n": types.ActiveSessionUpdatedDocument,
    "\n  query Dashboard($id: ID!) {\n    session(id: $id) { id status elapsedSeconds remainingSeconds }\n    activeSession { id status }\n    sessions(status: RUNNING) { edges { node { id status } } }\n  }\n": types.DashboardDocument,
};

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation ChangePassword($current: String!, $new: String!) { changePassword(current: $current, new: $new) }\n"): typeof import('./graphql.js').ChangePasswordDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "query LogIns { logIns { id createdAt lastUsedAt userAgent address current } }"): typeof import('./graphql.js').LogInsDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation RevokeLogIn($id: ID!) { revokeLogIn(id: $id) }"): typeof import('./graphql.js').RevokeLogInDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation UpdateSettings($input: UpdateSettingsInput!) {\n    updateSettings(input: $input) { timeZone weekStart goal { dailyMinutes weeklyMinutes } }\n  }\n"): typeof import('./graphql.js').UpdateSettingsDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment BreakSessionFields on StudySession {\n    id type status elapsedSeconds focusSeconds remainingSeconds startedAt endedAt subject { id } nextBreak { kind minutes }\n  }\n"): typeof import('./graphql.js').BreakSessionFieldsFragmentDoc;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation StartBreak($input: StartSessionInput!) { startSession(input: $input) { ...BreakSessionFields } }"): typeof import('./graphql.js').StartBreakDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "query ReadBreak($id: ID!) { session(id: $id) { ...BreakSessionFields } }"): typeof import('./graphql.js').ReadBreakDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "query NextBreak { me { id nextBreak { kind minutes } } }"): typeof import('./graphql.js').NextBreakDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "query BreakSettings { me { id settings { breaks { shortBreakMinutes longBreakMinutes longBreakEvery } } } }"): typeof import('./graphql.js').BreakSettingsDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation SetBreakSettings($shortBreakMinutes: Int, $longBreakMinutes: Int, $longBreakEvery: Int) {\n    setBreakSettings(shortBreakMinutes: $shortBreakMinutes, longBreakMinutes: $longBreakMinutes, longBreakEvery: $longBreakEvery) {\n      breaks { shortBreakMinutes longBreakMinutes longBreakEvery }\n    }\n  }\n"): typeof import('./graphql.js').SetBreakSettingsDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation BreaksGoal($dailyMinutes: Int) { setStudyGoal(dailyMinutes: $dailyMinutes) { goal { dailyMinutes } } }"): typeof import('./graphql.js').BreaksGoalDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query BreakStats($from: Date!, $to: Date!, $timeZone: String!, $minDailySeconds: Int) {\n    studyStats(from: $from, to: $to, timeZone: $timeZone, minDailySeconds: $minDailySeconds) {\n      totalSeconds\n      days { date seconds bySubject { subject { id } seconds sessions } }\n      bySubject { subject { id } seconds sessions }\n      completedPomodoros\n      currentStreakDays\n      longestStreakDays\n      goal { dailyProgressSeconds weeklyProgressSeconds }\n    }\n  }\n"): typeof import('./graphql.js').BreakStatsDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation WebAppSettings($input: UpdateSettingsInput!) { updateSettings(input: $input) { timeZone } }\n"): typeof import('./graphql.js').WebAppSettingsDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query WebAppAllSubjects { subjects(includeArchived: true) { name color archivedAt } }\n"): typeof import('./graphql.js').WebAppAllSubjectsDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query List {\n    sessions(first: 100) {\n      edges { node { id type status elapsedSeconds focusSeconds remainingSeconds startedAt endedAt pausedReason } }\n    }\n  }\n"): typeof import('./graphql.js').ListDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "subscription TimerStatus($id: ID!) { timerUpdated(sessionId: $id) { sessionId status } }"): typeof import('./graphql.js').TimerStatusDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query ManageSessionsInRange($from: DateTime, $to: DateTime, $first: Int, $after: String, $subjectId: ID) {\n    sessions(from: $from, to: $to, first: $first, after: $after, subjectId: $subjectId) {\n      edges { cursor node { id startedAt } }\n      pageInfo { hasNextPage endCursor }\n    }\n  }\n"): typeof import('./graphql.js').ManageSessionsInRangeDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation ManageStopWithNote($id: ID!, $note: String) { stopSession(sessionId: $id, note: $note) { id status note endedAt } }\n"): typeof import('./graphql.js').ManageStopWithNoteDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation ManageUpdateSessionNote($id: ID!, $note: String) { updateSessionNote(id: $id, note: $note) { id status note elapsedSeconds } }\n"): typeof import('./graphql.js').ManageUpdateSessionNoteDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "query ManageSessionNote($id: ID!) { session(id: $id) { id note } }"): typeof import('./graphql.js').ManageSessionNoteDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation ManageDeleteSession($id: ID!) { deleteSession(id: $id) }"): typeof import('./graphql.js').ManageDeleteSessionDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  subscription ManageActiveSessionNote { activeSessionUpdated { session { id status note } } }\n"): typeof import('./graphql.js').ManageActiveSessionNoteDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query ManageSessionStats($day: Date!) { studyStats(from: $day, to: $day, timeZone: \"UTC\") { totalSeconds completedPomodoros } }\n"): typeof import('./graphql.js').ManageSessionStatsDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query PropertyStats($from: Date!, $to: Date!, $timeZone: String!) {\n    studyStats(from: $from, to: $to, timeZone: $timeZone) { totalSeconds days { date seconds } completedPomodoros }\n  }\n"): typeof import('./graphql.js').PropertyStatsDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query StudyStats($from: Date!, $to: Date!, $timeZone: String!, $subjectId: ID, $minDailySeconds: Int) {\n    studyStats(from: $from, to: $to, timeZone: $timeZone, subjectId: $subjectId, minDailySeconds: $minDailySeconds) {\n      totalSeconds\n      days { date seconds bySubject { subject { id name } seconds sessions } }\n      bySubject { subject { id name } seconds sessions }\n      completedPomodoros\n      currentStreakDays\n      longestStreakDays\n      goal { dailyMinutes weeklyMinutes dailyProgressSeconds weeklyProgressSeconds }\n    }\n  }\n"): typeof import('./graphql.js').StudyStatsDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation SetStudyGoal($dailyMinutes: Int, $weeklyMinutes: Int) {\n    setStudyGoal(dailyMinutes: $dailyMinutes, weeklyMinutes: $weeklyMinutes) { timeZone weekStart goal { dailyMinutes weeklyMinutes } }\n  }\n"): typeof import('./graphql.js').SetStudyGoalDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "query MySettings { me { id settings { timeZone weekStart goal { dailyMinutes weeklyMinutes } } } }"): typeof import('./graphql.js').MySettingsDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment ManagedSubjectFields on Subject { id name color archivedAt createdAt }\n"): typeof import('./graphql.js').ManagedSubjectFieldsFragmentDoc;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation ManageCreateSubject($input: CreateSubjectInput!) { createSubject(input: $input) { ...ManagedSubjectFields } }\n"): typeof import('./graphql.js').ManageCreateSubjectDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation ManageRenameSubject($id: ID!, $name: String!) { renameSubject(id: $id, name: $name) { ...ManagedSubjectFields } }\n"): typeof import('./graphql.js').ManageRenameSubjectDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation ManageUpdateSubject($id: ID!, $input: UpdateSubjectInput!) { updateSubject(id: $id, input: $input) { ...ManagedSubjectFields } }\n"): typeof import('./graphql.js').ManageUpdateSubjectDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation ManageArchiveSubject($id: ID!) { archiveSubject(id: $id) { ...ManagedSubjectFields } }"): typeof import('./graphql.js').ManageArchiveSubjectDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation ManageUnarchiveSubject($id: ID!) { unarchiveSubject(id: $id) { ...ManagedSubjectFields } }"): typeof import('./graphql.js').ManageUnarchiveSubjectDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation ManageDeleteSubject($id: ID!, $deleteSessions: Boolean) { deleteSubject(id: $id, deleteSessions: $deleteSessions) }\n"): typeof import('./graphql.js').ManageDeleteSubjectDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query ManageSubjects($includeArchived: Boolean) { subjects(includeArchived: $includeArchived) { ...ManagedSubjectFields } }\n"): typeof import('./graphql.js').ManageSubjectsDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "query ManageSubjectsDefault { subjects { id } }"): typeof import('./graphql.js').ManageSubjectsDefaultDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query ManageSubjectHistory($subjectId: ID) {\n    sessions(subjectId: $subjectId, first: 100) { edges { node { id status elapsedSeconds subject { id name archivedAt color } } } }\n  }\n"): typeof import('./graphql.js').ManageSubjectHistoryDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query ManageSubjectStats($from: Date!, $to: Date!, $subjectId: ID) {\n    studyStats(from: $from, to: $to, timeZone: \"UTC\", subjectId: $subjectId) {\n      totalSeconds\n      completedPomodoros\n      bySubject { subject { id name archivedAt color } seconds sessions }\n    }\n  }\n"): typeof import('./graphql.js').ManageSubjectStatsDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation SignUp($input: SignUpInput!) {\n    signUp(input: $input) { accessToken refreshToken expiresAt user { id email createdAt } }\n  }\n"): typeof import('./graphql.js').SignUpDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation LogIn($input: LogInInput!) {\n    logIn(input: $input) { accessToken refreshToken expiresAt user { id email } }\n  }\n"): typeof import('./graphql.js').LogInDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation Refresh($refreshToken: String, $cookieMode: Boolean) {\n    refreshToken(refreshToken: $refreshToken, cookieMode: $cookieMode) { accessToken refreshToken expiresAt user { id } }\n  }\n"): typeof import('./graphql.js').RefreshDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation LogOut($refreshToken: String) { logOut(refreshToken: $refreshToken) }\n"): typeof import('./graphql.js').LogOutDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation DeleteAccount($password: String!) { deleteAccount(password: $password) }"): typeof import('./graphql.js').DeleteAccountDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "query Me { me { id email } }"): typeof import('./graphql.js').MeDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation CreateSubject($name: String!) { createSubject(input: { name: $name }) { id name createdAt } }\n"): typeof import('./graphql.js').CreateSubjectDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "query Subjects { subjects { id name } }"): typeof import('./graphql.js').SubjectsDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment SessionFields on StudySession {\n    id type status elapsedSeconds focusSeconds remainingSeconds startedAt endedAt pausedReason subject { id name }\n  }\n"): typeof import('./graphql.js').SessionFieldsFragmentDoc;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation Start($input: StartSessionInput!) { startSession(input: $input) { ...SessionFields } }\n"): typeof import('./graphql.js').StartDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation Pause($id: ID!) { pauseSession(sessionId: $id) { ...SessionFields } }"): typeof import('./graphql.js').PauseDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation Resume($id: ID!) { resumeSession(sessionId: $id) { ...SessionFields } }"): typeof import('./graphql.js').ResumeDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation Stop($id: ID!) { stopSession(sessionId: $id) { ...SessionFields } }"): typeof import('./graphql.js').StopDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "query Session($id: ID!) { session(id: $id) { ...SessionFields } }"): typeof import('./graphql.js').SessionDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "query Active { activeSession { ...SessionFields } }"): typeof import('./graphql.js').ActiveDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query Sessions($first: Int, $after: String, $subjectId: ID, $status: SessionStatus) {\n    sessions(first: $first, after: $after, subjectId: $subjectId, status: $status) {\n      edges { cursor node { ...SessionFields } }\n      pageInfo { hasNextPage endCursor }\n    }\n  }\n"): typeof import('./graphql.js').SessionsDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  subscription Timer($id: ID!) {\n    timerUpdated(sessionId: $id) { sessionId status elapsedSeconds remainingSeconds serverTime }\n  }\n"): typeof import('./graphql.js').TimerDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  subscription ActiveSessionUpdated { activeSessionUpdated { serverTime session { ...SessionFields } } }\n"): typeof import('./graphql.js').ActiveSessionUpdatedDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query Dashboard($id: ID!) {\n    session(id: $id) { id status elapsedSeconds remainingSeconds }\n    activeSession { id status }\n    sessions(status: RUNNING) { edges { node { id status } } }\n  }\n"): typeof import('./graphql.js').DashboardDocument;


export function graphql(source: string) {
  return (documents as any)[source] ?? {};
}
