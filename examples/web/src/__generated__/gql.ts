/* eslint-disable */
import * as types from './graphql.js';
import type { TypedDocumentNode as DocumentNode } from '@graphql-typed-document-node/core';

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
    "\n  fragment AuthPayloadFields on AuthPayload {\n    accessToken\n    expiresAt\n    user { id email }\n  }\n": typeof types.AuthPayloadFieldsFragmentDoc,
    "\n  mutation SignUp($email: String!, $password: String!) {\n    signUp(input: { email: $email, password: $password, cookieMode: true }) { ...AuthPayloadFields }\n  }\n": typeof types.SignUpDocument,
    "\n  mutation LogIn($email: String!, $password: String!) {\n    logIn(input: { email: $email, password: $password, cookieMode: true }) { ...AuthPayloadFields }\n  }\n": typeof types.LogInDocument,
    "\n  mutation Refresh {\n    refreshToken(cookieMode: true) { ...AuthPayloadFields }\n  }\n": typeof types.RefreshDocument,
    "\n  mutation LogOut { logOut }\n": typeof types.LogOutDocument,
    "\n  query Subjects { subjects { id name color } }\n": typeof types.SubjectsDocument,
    "\n  mutation CreateSubject($name: String!) { createSubject(input: { name: $name }) { id name color } }\n": typeof types.CreateSubjectDocument,
    "\n  fragment ManagedSubjectFields on Subject { id name color archivedAt }\n": typeof types.ManagedSubjectFieldsFragmentDoc,
    "\n  query AllSubjects { subjects(includeArchived: true) { ...ManagedSubjectFields } }\n": typeof types.AllSubjectsDocument,
    "\n  mutation UpdateSubject($id: ID!, $input: UpdateSubjectInput!) {\n    updateSubject(id: $id, input: $input) { ...ManagedSubjectFields }\n  }\n": typeof types.UpdateSubjectDocument,
    "\n  mutation ArchiveSubject($id: ID!) { archiveSubject(id: $id) { ...ManagedSubjectFields } }\n": typeof types.ArchiveSubjectDocument,
    "\n  mutation UnarchiveSubject($id: ID!) { unarchiveSubject(id: $id) { ...ManagedSubjectFields } }\n": typeof types.UnarchiveSubjectDocument,
    "\n  query StatsSettings { me { id settings { timeZone weekStart } } }\n": typeof types.StatsSettingsDocument,
    "\n  query StudyStats($from: Date!, $to: Date!, $timeZone: String!) {\n    studyStats(from: $from, to: $to, timeZone: $timeZone) {\n      totalSeconds\n      completedPomodoros\n      currentStreakDays\n      longestStreakDays\n      days { date seconds }\n      bySubject { seconds sessions subject { id name color } }\n      goal { dailyMinutes weeklyMinutes dailyProgressSeconds weeklyProgressSeconds }\n    }\n  }\n": typeof types.StudyStatsDocument,
    "\n  query LogIns { logIns { id createdAt lastUsedAt userAgent address current } }\n": typeof types.LogInsDocument,
    "\n  mutation RevokeLogIn($id: ID!) { revokeLogIn(id: $id) }\n": typeof types.RevokeLogInDocument,
    "\n  mutation ChangePassword($current: String!, $new: String!) { changePassword(current: $current, new: $new) }\n": typeof types.ChangePasswordDocument,
    "\n  mutation DeleteAccount($password: String!) { deleteAccount(password: $password) }\n": typeof types.DeleteAccountDocument,
    "\n  fragment SessionCardFields on StudySession {\n    id\n    type\n    status\n    elapsedSeconds\n    focusSeconds\n    remainingSeconds\n    startedAt\n    endedAt\n    pausedReason\n    subject { id name }\n  }\n": typeof types.SessionCardFieldsFragmentDoc,
    "\n  fragment TimerReadingFields on StudySession { status elapsedSeconds remainingSeconds }\n": typeof types.TimerReadingFieldsFragmentDoc,
    "\n  query ActiveSession { activeSession { ...SessionCardFields } }\n": typeof types.ActiveSessionDocument,
    "\n  query PastSessions($first: Int!) {\n    sessions(first: $first) { edges { node { ...SessionCardFields } } pageInfo { hasNextPage } }\n  }\n": typeof types.PastSessionsDocument,
    "\n  mutation StartSession($input: StartSessionInput!) { startSession(input: $input) { ...SessionCardFields } }\n": typeof types.StartSessionDocument,
    "\n  mutation PauseSession($id: ID!) { pauseSession(sessionId: $id) { ...SessionCardFields } }\n": typeof types.PauseSessionDocument,
    "\n  mutation ResumeSession($id: ID!) { resumeSession(sessionId: $id) { ...SessionCardFields } }\n": typeof types.ResumeSessionDocument,
    "\n  mutation StopSession($id: ID!) { stopSession(sessionId: $id) { ...SessionCardFields } }\n": typeof types.StopSessionDocument,
    "\n  subscription ActiveSessionUpdated {\n    activeSessionUpdated { serverTime session { ...SessionCardFields } }\n  }\n": typeof types.ActiveSessionUpdatedDocument,
};
const documents: Documents = {
    "\n  fragment AuthPayloadFields on AuthPayload {\n    accessToken\n    expiresAt\n    user { id email }\n  }\n": types.AuthPayloadFieldsFragmentDoc,
    "\n  mutation SignUp($email: String!, $password: String!) {\n    signUp(input: { email: $email, password: $password, cookieMode: true }) { ...AuthPayloadFields }\n  }\n": types.SignUpDocument,
    "\n  mutation LogIn($email: String!, $password: String!) {\n    logIn(input: { email: $email, password: $password, cookieMode: true }) { ...AuthPayloadFields }\n  }\n": types.LogInDocument,
    "\n  mutation Refresh {\n    refreshToken(cookieMode: true) { ...AuthPayloadFields }\n  }\n": types.RefreshDocument,
    "\n  mutation LogOut { logOut }\n": types.LogOutDocument,
    "\n  query Subjects { subjects { id name color } }\n": types.SubjectsDocument,
    "\n  mutation CreateSubject($name: String!) { createSubject(input: { name: $name }) { id name color } }\n": types.CreateSubjectDocument,
    "\n  fragment ManagedSubjectFields on Subject { id name color archivedAt }\n": types.ManagedSubjectFieldsFragmentDoc,
    "\n  query AllSubjects { subjects(includeArchived: true) { ...ManagedSubjectFields } }\n": types.AllSubjectsDocument,
    "\n  mutation UpdateSubject($id: ID!, $input: UpdateSubjectInput!) {\n    updateSubject(id: $id, input: $input) { ...ManagedSubjectFields }\n  }\n": types.UpdateSubjectDocument,
    "\n  mutation ArchiveSubject($id: ID!) { archiveSubject(id: $id) { ...ManagedSubjectFields } }\n": types.ArchiveSubjectDocument,
    "\n  mutation UnarchiveSubject($id: ID!) { unarchiveSubject(id: $id) { ...ManagedSubjectFields } }\n": types.UnarchiveSubjectDocument,
    "\n  query StatsSettings { me { id settings { timeZone weekStart } } }\n": types.StatsSettingsDocument,
    "\n  query StudyStats($from: Date!, $to: Date!, $timeZone: String!) {\n    studyStats(from: $from, to: $to, timeZone: $timeZone) {\n      totalSeconds\n      completedPomodoros\n      currentStreakDays\n      longestStreakDays\n      days { date seconds }\n      bySubject { seconds sessions subject { id name color } }\n      goal { dailyMinutes weeklyMinutes dailyProgressSeconds weeklyProgressSeconds }\n    }\n  }\n": types.StudyStatsDocument,
    "\n  query LogIns { logIns { id createdAt lastUsedAt userAgent address current } }\n": types.LogInsDocument,
    "\n  mutation RevokeLogIn($id: ID!) { revokeLogIn(id: $id) }\n": types.RevokeLogInDocument,
    "\n  mutation ChangePassword($current: String!, $new: String!) { changePassword(current: $current, new: $new) }\n": types.ChangePasswordDocument,
    "\n  mutation DeleteAccount($password: String!) { deleteAccount(password: $password) }\n": types.DeleteAccountDocument,
    "\n  fragment SessionCardFields on StudySession {\n    id\n    type\n    status\n    elapsedSeconds\n    focusSeconds\n    remainingSeconds\n    startedAt\n    endedAt\n    pausedReason\n    subject { id name }\n  }\n": types.SessionCardFieldsFragmentDoc,
    "\n  fragment TimerReadingFields on StudySession { status elapsedSeconds remainingSeconds }\n": types.TimerReadingFieldsFragmentDoc,
    "\n  query ActiveSession { activeSession { ...SessionCardFields } }\n": types.ActiveSessionDocument,
    "\n  query PastSessions($first: Int!) {\n    sessions(first: $first) { edges { node { ...SessionCardFields } } pageInfo { hasNextPage } }\n  }\n": types.PastSessionsDocument,
    "\n  mutation StartSession($input: StartSessionInput!) { startSession(input: $input) { ...SessionCardFields } }\n": types.StartSessionDocument,
    "\n  mutation PauseSession($id: ID!) { pauseSession(sessionId: $id) { ...SessionCardFields } }\n": types.PauseSessionDocument,
    "\n  mutation ResumeSession($id: ID!) { resumeSession(sessionId: $id) { ...SessionCardFields } }\n": types.ResumeSessionDocument,
    "\n  mutation StopSession($id: ID!) { stopSession(sessionId: $id) { ...SessionCardFields } }\n": types.StopSessionDocument,
    "\n  subscription ActiveSessionUpdated {\n    activeSessionUpdated { serverTime session { ...SessionCardFields } }\n  }\n": types.ActiveSessionUpdatedDocument,
};

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 *
 *
 * @example
 * ```ts
 * const query = graphql(`query GetUser($id: ID!) { user(id: $id) { name } }`);
 * ```
 *
 * The query argument is unknown!
 * Please regenerate the types.
 */
export function graphql(source: string): unknown;

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment AuthPayloadFields on AuthPayload {\n    accessToken\n    expiresAt\n    user { id email }\n  }\n"): (typeof documents)["\n  fragment AuthPayloadFields on AuthPayload {\n    accessToken\n    expiresAt\n    user { id email }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation SignUp($email: String!, $password: String!) {\n    signUp(input: { email: $email, password: $password, cookieMode: true }) { ...AuthPayloadFields }\n  }\n"): (typeof documents)["\n  mutation SignUp($email: String!, $password: String!) {\n    signUp(input: { email: $email, password: $password, cookieMode: true }) { ...AuthPayloadFields }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation LogIn($email: String!, $password: String!) {\n    logIn(input: { email: $email, password: $password, cookieMode: true }) { ...AuthPayloadFields }\n  }\n"): (typeof documents)["\n  mutation LogIn($email: String!, $password: String!) {\n    logIn(input: { email: $email, password: $password, cookieMode: true }) { ...AuthPayloadFields }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation Refresh {\n    refreshToken(cookieMode: true) { ...AuthPayloadFields }\n  }\n"): (typeof documents)["\n  mutation Refresh {\n    refreshToken(cookieMode: true) { ...AuthPayloadFields }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation LogOut { logOut }\n"): (typeof documents)["\n  mutation LogOut { logOut }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query Subjects { subjects { id name color } }\n"): (typeof documents)["\n  query Subjects { subjects { id name color } }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation CreateSubject($name: String!) { createSubject(input: { name: $name }) { id name color } }\n"): (typeof documents)["\n  mutation CreateSubject($name: String!) { createSubject(input: { name: $name }) { id name color } }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment ManagedSubjectFields on Subject { id name color archivedAt }\n"): (typeof documents)["\n  fragment ManagedSubjectFields on Subject { id name color archivedAt }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query AllSubjects { subjects(includeArchived: true) { ...ManagedSubjectFields } }\n"): (typeof documents)["\n  query AllSubjects { subjects(includeArchived: true) { ...ManagedSubjectFields } }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation UpdateSubject($id: ID!, $input: UpdateSubjectInput!) {\n    updateSubject(id: $id, input: $input) { ...ManagedSubjectFields }\n  }\n"): (typeof documents)["\n  mutation UpdateSubject($id: ID!, $input: UpdateSubjectInput!) {\n    updateSubject(id: $id, input: $input) { ...ManagedSubjectFields }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation ArchiveSubject($id: ID!) { archiveSubject(id: $id) { ...ManagedSubjectFields } }\n"): (typeof documents)["\n  mutation ArchiveSubject($id: ID!) { archiveSubject(id: $id) { ...ManagedSubjectFields } }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation UnarchiveSubject($id: ID!) { unarchiveSubject(id: $id) { ...ManagedSubjectFields } }\n"): (typeof documents)["\n  mutation UnarchiveSubject($id: ID!) { unarchiveSubject(id: $id) { ...ManagedSubjectFields } }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query StatsSettings { me { id settings { timeZone weekStart } } }\n"): (typeof documents)["\n  query StatsSettings { me { id settings { timeZone weekStart } } }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query StudyStats($from: Date!, $to: Date!, $timeZone: String!) {\n    studyStats(from: $from, to: $to, timeZone: $timeZone) {\n      totalSeconds\n      completedPomodoros\n      currentStreakDays\n      longestStreakDays\n      days { date seconds }\n      bySubject { seconds sessions subject { id name color } }\n      goal { dailyMinutes weeklyMinutes dailyProgressSeconds weeklyProgressSeconds }\n    }\n  }\n"): (typeof documents)["\n  query StudyStats($from: Date!, $to: Date!, $timeZone: String!) {\n    studyStats(from: $from, to: $to, timeZone: $timeZone) {\n      totalSeconds\n      completedPomodoros\n      currentStreakDays\n      longestStreakDays\n      days { date seconds }\n      bySubject { seconds sessions subject { id name color } }\n      goal { dailyMinutes weeklyMinutes dailyProgressSeconds weeklyProgressSeconds }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query LogIns { logIns { id createdAt lastUsedAt userAgent address current } }\n"): (typeof documents)["\n  query LogIns { logIns { id createdAt lastUsedAt userAgent address current } }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation RevokeLogIn($id: ID!) { revokeLogIn(id: $id) }\n"): (typeof documents)["\n  mutation RevokeLogIn($id: ID!) { revokeLogIn(id: $id) }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation ChangePassword($current: String!, $new: String!) { changePassword(current: $current, new: $new) }\n"): (typeof documents)["\n  mutation ChangePassword($current: String!, $new: String!) { changePassword(current: $current, new: $new) }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation DeleteAccount($password: String!) { deleteAccount(password: $password) }\n"): (typeof documents)["\n  mutation DeleteAccount($password: String!) { deleteAccount(password: $password) }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment SessionCardFields on StudySession {\n    id\n    type\n    status\n    elapsedSeconds\n    focusSeconds\n    remainingSeconds\n    startedAt\n    endedAt\n    pausedReason\n    subject { id name }\n  }\n"): (typeof documents)["\n  fragment SessionCardFields on StudySession {\n    id\n    type\n    status\n    elapsedSeconds\n    focusSeconds\n    remainingSeconds\n    startedAt\n    endedAt\n    pausedReason\n    subject { id name }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment TimerReadingFields on StudySession { status elapsedSeconds remainingSeconds }\n"): (typeof documents)["\n  fragment TimerReadingFields on StudySession { status elapsedSeconds remainingSeconds }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query ActiveSession { activeSession { ...SessionCardFields } }\n"): (typeof documents)["\n  query ActiveSession { activeSession { ...SessionCardFields } }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query PastSessions($first: Int!) {\n    sessions(first: $first) { edges { node { ...SessionCardFields } } pageInfo { hasNextPage } }\n  }\n"): (typeof documents)["\n  query PastSessions($first: Int!) {\n    sessions(first: $first) { edges { node { ...SessionCardFields } } pageInfo { hasNextPage } }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation StartSession($input: StartSessionInput!) { startSession(input: $input) { ...SessionCardFields } }\n"): (typeof documents)["\n  mutation StartSession($input: StartSessionInput!) { startSession(input: $input) { ...SessionCardFields } }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation PauseSession($id: ID!) { pauseSession(sessionId: $id) { ...SessionCardFields } }\n"): (typeof documents)["\n  mutation PauseSession($id: ID!) { pauseSession(sessionId: $id) { ...SessionCardFields } }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation ResumeSession($id: ID!) { resumeSession(sessionId: $id) { ...SessionCardFields } }\n"): (typeof documents)["\n  mutation ResumeSession($id: ID!) { resumeSession(sessionId: $id) { ...SessionCardFields } }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation StopSession($id: ID!) { stopSession(sessionId: $id) { ...SessionCardFields } }\n"): (typeof documents)["\n  mutation StopSession($id: ID!) { stopSession(sessionId: $id) { ...SessionCardFields } }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  subscription ActiveSessionUpdated {\n    activeSessionUpdated { serverTime session { ...SessionCardFields } }\n  }\n"): (typeof documents)["\n  subscription ActiveSessionUpdated {\n    activeSessionUpdated { serverTime session { ...SessionCardFields } }\n  }\n"];

export function graphql(source: string) {
  return (documents as any)[source] ?? {};
}

export type DocumentType<TDocumentNode extends DocumentNode<any, any>> = TDocumentNode extends DocumentNode<  infer TType,  any>  ? TType  : never;