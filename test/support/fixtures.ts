import { randomUUID } from 'node:crypto';
import type { GraphQLTestClient } from './graphql-client.js';

export const SIGN_UP = /* GraphQL */ `
  mutation SignUp($input: SignUpInput!) {
    signUp(input: $input) { accessToken refreshToken expiresAt user { id email createdAt } }
  }
`;
export const LOG_IN = /* GraphQL */ `
  mutation LogIn($input: LogInInput!) {
    logIn(input: $input) { accessToken refreshToken expiresAt user { id email } }
  }
`;
export const REFRESH = /* GraphQL */ `
  mutation Refresh($refreshToken: String, $cookieMode: Boolean) {
    refreshToken(refreshToken: $refreshToken, cookieMode: $cookieMode) { accessToken refreshToken expiresAt user { id } }
  }
`;
export const LOG_OUT = /* GraphQL */ `
  mutation LogOut($refreshToken: String) { logOut(refreshToken: $refreshToken) }
`;
export const ME = /* GraphQL */ `query Me { me { id email } }`;
export const CREATE_SUBJECT = /* GraphQL */ `
  mutation CreateSubject($name: String!) { createSubject(input: { name: $name }) { id name createdAt } }
`;
export const SUBJECTS = /* GraphQL */ `query Subjects { subjects { id name } }`;

const SESSION_FIELDS = /* GraphQL */ `
  id type status elapsedSeconds focusSeconds remainingSeconds startedAt endedAt pausedReason subject { id name }
`;
export const START_SESSION = /* GraphQL */ `
  mutation Start($input: StartSessionInput!) { startSession(input: $input) { ${SESSION_FIELDS} } }
`;
export const PAUSE_SESSION = `mutation Pause($id: ID!) { pauseSession(sessionId: $id) { ${SESSION_FIELDS} } }`;
export const RESUME_SESSION = `mutation Resume($id: ID!) { resumeSession(sessionId: $id) { ${SESSION_FIELDS} } }`;
export const STOP_SESSION = `mutation Stop($id: ID!) { stopSession(sessionId: $id) { ${SESSION_FIELDS} } }`;
export const SESSION = `query Session($id: ID!) { session(id: $id) { ${SESSION_FIELDS} } }`;
export const ACTIVE_SESSION = `query Active { activeSession { ${SESSION_FIELDS} } }`;
export const SESSIONS = /* GraphQL */ `
  query Sessions($first: Int, $after: String, $subjectId: ID, $status: SessionStatus) {
    sessions(first: $first, after: $after, subjectId: $subjectId, status: $status) {
      edges { cursor node { ${SESSION_FIELDS} } }
      pageInfo { hasNextPage endCursor }
    }
  }
`;

/** A strong password that passes the server's rules. */
export const PASSWORD = 'correct horse battery staple';

/** A signed-up student: their client (bearer token set), id, and tokens. */
export interface Student {
  client: GraphQLTestClient;
  userId: string;
  email: string;
  accessToken: string;
  refreshToken: string;
}

/** Signs up a new student with a unique email. */
export async function signUpStudent(anonymous: GraphQLTestClient, email = `student-${randomUUID()}@example.com`): Promise<Student> {
  const data = await anonymous.ok<{ signUp: { accessToken: string; refreshToken: string; user: { id: string } } }>(SIGN_UP, {
    input: { email, password: PASSWORD },
  });
  return {
    client: anonymous.withToken(data.signUp.accessToken),
    userId: data.signUp.user.id,
    email,
    accessToken: data.signUp.accessToken,
    refreshToken: data.signUp.refreshToken,
  };
}

/** Creates a subject for the student and returns its id. */
export async function createSubject(student: Student, name = `Subject ${randomUUID().slice(0, 8)}`): Promise<string> {
  const data = await student.client.ok<{ createSubject: { id: string } }>(CREATE_SUBJECT, { name });
  return data.createSubject.id;
}

/** The live timer of one session, every field. */
export const TIMER_UPDATED = /* GraphQL */ `
  subscription Timer($id: ID!) {
    timerUpdated(sessionId: $id) { sessionId status elapsedSeconds remainingSeconds serverTime }
  }
`;

/** Why an access token was refused, as `extensions.reason` names it. */
export type Rejection = 'missing' | 'malformed' | 'invalid' | 'expired' | 'revoked';

// Written out rather than imported from src/: these strings are the public contract.
/** The message of UNAUTHENTICATED for each {@link Rejection}. */
export const REJECTION_MESSAGES: Record<Rejection, string> = {
  missing: 'Authentication required',
  malformed: 'Malformed access token',
  invalid: 'Invalid access token',
  expired: 'Access token expired',
  revoked: 'Access token revoked or user unknown',
};
