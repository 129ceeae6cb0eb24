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
    "\n  query Subjects { subjects { id name } }\n": typeof types.SubjectsDocument,
    "\n  mutation CreateSubject($name: String!) { createSubject(input: { name: $name }) { id name } }\n": typeof types.CreateSubjectDocument,
    "\n  fragment SessionCardFields on StudySession {\n    id\n    type\n    status\n    elapsedSeconds\n    focusSeconds\n    remainingSeconds\n    startedAt\n    endedAt\n    pausedReason\n    subject { id name }\n  }\n": typeof types.SessionCardFieldsFragmentDoc,
    "\n  fragment TimerReadingFields on StudySession { status elapsedSeconds remainingSeconds }\n": typeof types.TimerReadingFieldsFragmentDoc,
    "\n  query ActiveSession { activeSession { ...SessionCardFields } }\n": typeof types.ActiveSessionDocument,
    "\n  query PastSessions($first: Int!) {\n    sessions(first: $first) { edges { node { ...SessionCardFields } } pageInfo { hasNextPage } }\n  }\n": typeof types.PastSessionsDocument,
    "\n  mutation StartSession($input: StartSessionInput!) { startSession(input: $input) { ...SessionCardFields } }\n": typeof types.StartSessionDocument,
    "\n  mutation PauseSession($id: ID!) { pauseSession(sessionId: $id) { ...SessionCardFields } }\n": typeof types.PauseSessionDocument,
    "\n  mutation ResumeSession($id: ID!) { resumeSession(sessionId: $id) { ...SessionCardFields } }\n": typeof types.ResumeSessionDocument,
    "\n  mutation StopSession($id: ID!) { stopSession(sessionId: $id) { ...SessionCardFields } }\n": typeof types.StopSessionDocument,
    "\n  subscription TimerUpdated($sessionId: ID!) {\n    timerUpdated(sessionId: $sessionId) { sessionId status elapsedSeconds remainingSeconds serverTime }\n  }\n": typeof types.TimerUpdatedDocument,
};
const documents: Documents = {
    "\n  fragment AuthPayloadFields on AuthPayload {\n    accessToken\n    expiresAt\n    user { id email }\n  }\n": types.AuthPayloadFieldsFragmentDoc,
    "\n  mutation SignUp($email: String!, $password: String!) {\n    signUp(input: { email: $email, password: $password, cookieMode: true }) { ...AuthPayloadFields }\n  }\n": types.SignUpDocument,
    "\n  mutation LogIn($email: String!, $password: String!) {\n    logIn(input: { email: $email, password: $password, cookieMode: true }) { ...AuthPayloadFields }\n  }\n": types.LogInDocument,
    "\n  mutation Refresh {\n    refreshToken(cookieMode: true) { ...AuthPayloadFields }\n  }\n": types.RefreshDocument,
    "\n  mutation LogOut { logOut }\n": types.LogOutDocument,
    "\n  query Subjects { subjects { id name } }\n": types.SubjectsDocument,
    "\n  mutation CreateSubject($name: String!) { createSubject(input: { name: $name }) { id name } }\n": types.CreateSubjectDocument,
    "\n  fragment SessionCardFields on StudySession {\n    id\n    type\n    status\n    elapsedSeconds\n    focusSeconds\n    remainingSeconds\n    startedAt\n    endedAt\n    pausedReason\n    subject { id name }\n  }\n": types.SessionCardFieldsFragmentDoc,
    "\n  fragment TimerReadingFields on StudySession { status elapsedSeconds remainingSeconds }\n": types.TimerReadingFieldsFragmentDoc,
    "\n  query ActiveSession { activeSession { ...SessionCardFields } }\n": types.ActiveSessionDocument,
    "\n  query PastSessions($first: Int!) {\n    sessions(first: $first) { edges { node { ...SessionCardFields } } pageInfo { hasNextPage } }\n  }\n": types.PastSessionsDocument,
    "\n  mutation StartSession($input: StartSessionInput!) { startSession(input: $input) { ...SessionCardFields } }\n": types.StartSessionDocument,
    "\n  mutation PauseSession($id: ID!) { pauseSession(sessionId: $id) { ...SessionCardFields } }\n": types.PauseSessionDocument,
    "\n  mutation ResumeSession($id: ID!) { resumeSession(sessionId: $id) { ...SessionCardFields } }\n": types.ResumeSessionDocument,
    "\n  mutation StopSession($id: ID!) { stopSession(sessionId: $id) { ...SessionCardFields } }\n": types.StopSessionDocument,
    "\n  subscription TimerUpdated($sessionId: ID!) {\n    timerUpdated(sessionId: $sessionId) { sessionId status elapsedSeconds remainingSeconds serverTime }\n  }\n": types.TimerUpdatedDocument,
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
export function graphql(source: "\n  query Subjects { subjects { id name } }\n"): (typeof documents)["\n  query Subjects { subjects { id name } }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation CreateSubject($name: String!) { createSubject(input: { name: $name }) { id name } }\n"): (typeof documents)["\n  mutation CreateSubject($name: String!) { createSubject(input: { name: $name }) { id name } }\n"];
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
export function graphql(source: "\n  subscription TimerUpdated($sessionId: ID!) {\n    timerUpdated(sessionId: $sessionId) { sessionId status elapsedSeconds remainingSeconds serverTime }\n  }\n"): (typeof documents)["\n  subscription TimerUpdated($sessionId: ID!) {\n    timerUpdated(sessionId: $sessionId) { sessionId status elapsedSeconds remainingSeconds serverTime }\n  }\n"];

export function graphql(source: string) {
  return (documents as any)[source] ?? {};
}

export type DocumentType<TDocumentNode extends DocumentNode<any, any>> = TDocumentNode extends DocumentNode<  infer TType,  any>  ? TType  : never;