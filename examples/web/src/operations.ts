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
  query Subjects { subjects { id name } }
`);
export const CreateSubjectDocument = graphql(`
  mutation CreateSubject($name: String!) { createSubject(input: { name: $name }) { id name } }
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
/** The part of a session a `timerUpdated` reading replaces in the cache. */
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

export const TimerUpdatedDocument = graphql(`
  subscription TimerUpdated($sessionId: ID!) {
    timerUpdated(sessionId: $sessionId) { sessionId status elapsedSeconds remainingSeconds serverTime }
  }
`);
