/**
 * What makes a password acceptable at SignUp, after NIST SP 800-63B §3.1.1.2 (memorized secrets):
 * at least 8 characters (and at most 200, so hashing stays cheap), not one of the commonest
 * passwords, and not the account's own e-mail address or its local part. No composition rules
 * ("a digit and a symbol"): they make passwords harder to remember, not to guess.
 *
 * The list (data/common-passwords.txt, see data/README.md for its source and licence) holds the
 * 10 000 commonest passwords of 8 or more characters from the SecLists "10 million passwords" list,
 * lower-cased; a password is compared lower-cased too, so "Password1" is as refused as "password1".
 * It ships inside the service (a text import, so it is in the bundle of the container image) and is
 * never fetched at run time.
 */
import commonPasswordList from "../data/common-passwords.txt" with { type: "text" };

/** The shortest password accepted, in characters (code points). */
export const MIN_PASSWORD_LENGTH = 8;
/** The longest password accepted, in characters. */
export const MAX_PASSWORD_LENGTH = 200;

/** The common passwords, lower-cased. */
export const COMMON_PASSWORDS: ReadonlySet<string> = new Set(
  commonPasswordList
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line !== ""),
);

/**
 * Why `password` cannot be the password of the account `email`, as the description of a field
 * violation on `password`; undefined when it can.
 */
export function passwordProblem(password: string, email: string): string | undefined {
  const length = [...password].length;
  if (length < MIN_PASSWORD_LENGTH) return `must be at least ${MIN_PASSWORD_LENGTH} characters`;
  if (length > MAX_PASSWORD_LENGTH) return `must be at most ${MAX_PASSWORD_LENGTH} characters`;
  const lower = password.toLowerCase();
  if (COMMON_PASSWORDS.has(lower)) {
    return "is one of the most common passwords, the first ones anyone guesses: choose another (a few unrelated words make a good one)";
  }
  const address = email.trim().toLowerCase();
  const local = address.split("@")[0] ?? "";
  if (lower === address || (local !== "" && lower === local)) {
    return "must not be your e-mail address or the part of it before the @";
  }
  return undefined;
}
