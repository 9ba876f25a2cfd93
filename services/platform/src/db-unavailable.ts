/**
 * Whether an error means the database could not be reached — the connection refused, lost, timed
 * out or closed by a server shutting down — rather than a fault in the request or the code. Such a
 * call may succeed when retried, so the error interceptor answers it as UNAVAILABLE (which clients
 * and the edge retry), not INTERNAL. Found by `bun run chaos` (PostgreSQL restarts).
 */

/** postgres.js's own codes for a connection that failed or went away. */
const CLIENT_CODES = new Set([
  "CONNECT_TIMEOUT",
  "CONNECTION_CLOSED",
  "CONNECTION_DESTROYED",
  "CONNECTION_ENDED",
  "ECONNREFUSED",
  "ECONNRESET",
  "EPIPE",
  "ETIMEDOUT",
  "EHOSTUNREACH",
]);

/**
 * PostgreSQL's SQLSTATEs for the same: class 08 (connection exception) and the server shutting
 * down or starting (57P01 admin_shutdown, 57P02 crash_shutdown, 57P03 cannot_connect_now).
 */
function unavailableState(state: string): boolean {
  return state.startsWith("08") || state === "57P01" || state === "57P02" || state === "57P03";
}

/** Whether `err` (or its cause) says the database is unreachable for now. */
export function isDatabaseUnavailable(err: unknown): boolean {
  for (let e: unknown = err, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (
      typeof code === "string" &&
      (CLIENT_CODES.has(code) || (/^[0-9A-Z]{5}$/.test(code) && unavailableState(code)))
    ) {
      return true;
    }
  }
  return false;
}
