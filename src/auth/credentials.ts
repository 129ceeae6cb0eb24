import { z } from 'zod';
import { badInput } from '../errors.js';

export const PASSWORD_MIN_LENGTH = 10;
export const PASSWORD_MAX_LENGTH = 128;
const EMAIL_MAX_LENGTH = 254;
const credentialsSchema = z.object({
  email: z
    .string()
    .trim()
    .max(EMAIL_MAX_LENGTH, 'email is too long')
    .pipe(z.email('email is not a valid email address')),
  password: z.string(),
});

/** True for an address signUp would accept (so a provisioned user's email is one too). */
export function isEmailAddress(value: string): boolean {
  return credentialsSchema.shape.email.safeParse(value).success;
}

/** The email (trimmed) and password of a sign-up or log-in; BAD_USER_INPUT naming the field when malformed. */
export function parseCredentials(input: { email: string; password: string }): { email: string; password: string } {
  const parsed = credentialsSchema.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw badInput(String(issue?.path[0] ?? 'input'), issue?.message ?? 'Invalid input');
  }
  return parsed.data;
}

/**
 * Why a password is too weak to accept, or undefined. Rules (NIST SP 800-63B in spirit): length
 * between {@link PASSWORD_MIN_LENGTH} and {@link PASSWORD_MAX_LENGTH}, not mostly one repeated
 * character, and not containing the email's local part.
 */
export function passwordWeakness(password: string, email: string): string | undefined {
  const length = [...password].length;
  if (length < PASSWORD_MIN_LENGTH) return `password must be at least ${PASSWORD_MIN_LENGTH} characters`;
  if (length > PASSWORD_MAX_LENGTH) return `password must be at most ${PASSWORD_MAX_LENGTH} characters`;
  if (new Set(password).size < 5) return 'password must use at least 5 different characters';
  const local = email.split('@')[0]?.toLowerCase() ?? '';
  if (local.length >= 4 && password.toLowerCase().includes(local)) return 'password must not contain your email';
  return undefined;
}
