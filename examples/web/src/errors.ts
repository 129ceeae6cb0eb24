import { CombinedGraphQLErrors } from '@apollo/client/errors';
import { errorCode } from './graphql-fetch.js';

/**
 * What to tell the student about a failed request, from the API's `extensions.code` (see the
 * README's error-code table). BAD_USER_INPUT messages are written for people (password rules,
 * name length) and shown as they are; everything else gets a sentence of ours.
 */
export function describeError(error: unknown): string {
  const first = CombinedGraphQLErrors.is(error) ? error.errors[0] : undefined;
  switch (errorCode(error)) {
    case 'INVALID_CREDENTIALS':
      return 'That email and password do not match an account.';
    case 'EMAIL_TAKEN':
      return 'There is already an account with this email. Log in instead?';
    case 'BAD_USER_INPUT':
      return first?.message ?? 'Please check what you entered.';
    case 'SUBJECT_NAME_TAKEN':
      return 'You already have a subject with that name.';
    case 'SESSION_ALREADY_ACTIVE':
      return 'You already have a session going.';
    case 'RATE_LIMITED': {
      const wait = first?.extensions?.retryAfterSeconds;
      return typeof wait === 'number' ? `Too many attempts. Try again in ${wait} s.` : 'Too many attempts. Try again shortly.';
    }
    case 'UNAUTHENTICATED':
      return 'Your sign-in has ended. Please log in again.';
    case undefined:
    case 'SERVICE_UNAVAILABLE':
      return 'studyclock cannot be reached right now. Try again in a moment.';
    default:
      return 'Something went wrong. Please try again.';
  }
}
