/**
 * The session as kept in localStorage — the one place that knows its key and shape. Free of
 * imports on purpose: the inline boot script (boot/first-page.ts) reads it before the app's code
 * has even arrived, and the app (api/session.tsx) reads and writes the same record.
 */

/** The localStorage key of the session. */
export const SESSION_KEY = "todo.session";

/** The parts of the user the app needs. */
export interface SessionUser {
  readonly id: string;
  readonly email: string;
  readonly displayName: string;
  readonly timeZone: string;
  /** ISO weekday the user's week starts on (1 Monday … 7 Sunday); absent in sessions stored before it existed. */
  readonly weekStart?: number;
}

/** What is stored under {@link SESSION_KEY}. */
export interface StoredSession {
  readonly token: string;
  readonly user: SessionUser;
}

/** The stored session, or undefined when there is none, it is malformed, or storage is off. */
export function readStoredSession(storage: Storage | undefined): StoredSession | undefined {
  try {
    const raw = storage?.getItem(SESSION_KEY);
    if (!raw) return undefined;
    const v = JSON.parse(raw) as Partial<StoredSession>;
    if (typeof v.token !== "string" || !v.user || typeof v.user.id !== "string") return undefined;
    return v as StoredSession;
  } catch {
    return undefined;
  }
}
