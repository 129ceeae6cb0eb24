import { randomUUID } from 'node:crypto';
import { graphql } from '../__generated__/index.js';
import type { SessionFieldsFragment, SignUpMutation, StartSessionInput, TypedDocumentString } from '../__generated__/graphql.js';
import type { GraphQLTestClient } from './graphql-client.js';

// Typed documents: `npm run codegen` checks each against the schema and gives it its result and
// variables types (test/__generated__/), so a schema change that breaks one breaks the build.

export const SIGN_UP = graphql(`
  mutation SignUp($input: SignUpInput!) {
    signUp(input: $input) { accessToken refreshToken expiresAt user { id email createdAt } }
  }
`);
export const LOG_IN = graphql(`
  mutation LogIn($input: LogInInput!) {
    logIn(input: $input) { accessToken refreshToken expiresAt user { id email } }
  }
`);
export const REFRESH = graphql(`
  mutation Refresh($refreshToken: String, $cookieMode: Boolean) {
    refreshToken(refreshToken: $refreshToken, cookieMode: $cookieMode) { accessToken refreshToken expiresAt user { id } }
  }
`);
export const LOG_OUT = graphql(`
  mutation LogOut($refreshToken: String) { logOut(refreshToken: $refreshToken) }
`);
export const DELETE_ACCOUNT = graphql(`mutation DeleteAccount($password: String!) { deleteAccount(password: $password) }`);
export const ME = graphql(`query Me { me { id email } }`);
export const CREATE_SUBJECT = graphql(`
  mutation CreateSubject($name: String!) { createSubject(input: { name: $name }) { id name createdAt } }
`);
export const SUBJECTS = graphql(`query Subjects { subjects { id name } }`);

/** Every field of a session the suites assert on; the preset appends it to each document that spreads it. */
export const SESSION_FIELDS = graphql(`
  fragment SessionFields on StudySession {
    id type status elapsedSeconds focusSeconds remainingSeconds startedAt endedAt pausedReason subject { id name }
  }
`);
export const START_SESSION = graphql(`
  mutation Start($input: StartSessionInput!) { startSession(input: $input) { ...SessionFields } }
`);
export const PAUSE_SESSION = graphql(`mutation Pause($id: ID!) { pauseSession(sessionId: $id) { ...SessionFields } }`);
export const RESUME_SESSION = graphql(`mutation Resume($id: ID!) { resumeSession(sessionId: $id) { ...SessionFields } }`);
export const STOP_SESSION = graphql(`mutation Stop($id: ID!) { stopSession(sessionId: $id) { ...SessionFields } }`);
export const SESSION = graphql(`query Session($id: ID!) { session(id: $id) { ...SessionFields } }`);
export const ACTIVE_SESSION = graphql(`query Active { activeSession { ...SessionFields } }`);
export const SESSIONS = graphql(`
  query Sessions($first: Int, $after: String, $subjectId: ID, $status: SessionStatus) {
    sessions(first: $first, after: $after, subjectId: $subjectId, status: $status) {
      edges { cursor node { ...SessionFields } }
      pageInfo { hasNextPage endCursor }
    }
  }
`);

/** A document whose one variable is a session's `$id`: {@link SESSION} and the transitions. */
export type SessionIdDocument = TypedDocumentString<unknown, { id: string }>;

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
  const { signUp } = await anonymous.ok(SIGN_UP, { input: { email, password: PASSWORD } });
  return studentFrom(anonymous, email, signUp);
}

/** The student a successful `signUp` (not in cookie mode) answered with; `anonymous` gets their token. */
export function studentFrom(anonymous: GraphQLTestClient, email: string, signUp: SignUpMutation['signUp']): Student {
  // Null only in cookie mode, where the refresh token travels in a cookie instead.
  if (signUp.refreshToken === null) throw new Error('signUp answered without a refresh token');
  return {
    client: anonymous.withToken(signUp.accessToken),
    userId: signUp.user.id,
    email,
    accessToken: signUp.accessToken,
    refreshToken: signUp.refreshToken,
  };
}

/** Creates a subject for the student and returns its id. */
export async function createSubject(student: Student, name = `Subject ${randomUUID().slice(0, 8)}`): Promise<string> {
  const data = await student.client.ok(CREATE_SUBJECT, { name });
  return data.createSubject.id;
}

/** The live timer of one session, every field. */
export const TIMER_UPDATED = graphql(`
  subscription Timer($id: ID!) {
    timerUpdated(sessionId: $id) { sessionId status elapsedSeconds remainingSeconds serverTime }
  }
`);

/** The student's live active session, every field of the session. */
export const ACTIVE_SESSION_UPDATED = graphql(`
  subscription ActiveSessionUpdated { activeSessionUpdated { serverTime session { ...SessionFields } } }
`);

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

/** A new student with a subject and a RUNNING session on it (FREE unless `input` says otherwise). */
export async function studentWithSession(
  anonymous: GraphQLTestClient,
  input: Omit<StartSessionInput, 'subjectId'> = { type: 'FREE' },
): Promise<{ student: Student; session: SessionFieldsFragment }> {
  const student = await signUpStudent(anonymous);
  const subjectId = await createSubject(student);
  const { startSession } = await student.client.ok(START_SESSION, { input: { subjectId, ...input } });
  return { student, session: startSession };
}
