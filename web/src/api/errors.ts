/**
 * Turning API failures into sentences a person can act on. The server's messages are already short
 * and free of internals (`filter: unknown field "prio" at column 1; did you mean "priority"?`), so
 * they are shown as they are, without Connect's `[code]` prefix; network failures and the codes
 * that carry no useful text get words of our own.
 */
import { Code, ConnectError } from "@connectrpc/connect";
import { BadRequestSchema } from "@todo/gen/google/rpc/error_details_pb";

/** One `google.rpc.BadRequest` field violation. */
export interface Violation {
  readonly field: string;
  readonly description: string;
}

/** The field violations attached to an INVALID_ARGUMENT error (empty for anything else). */
export function fieldViolations(err: unknown): Violation[] {
  if (!(err instanceof ConnectError)) return [];
  try {
    return err
      .findDetails(BadRequestSchema)
      .flatMap((d) => d.fieldViolations.map((v) => ({ field: v.field, description: v.description })));
  } catch {
    return [];
  }
}

/** Whether `err` is a cancellation we caused ourselves (a newer request replaced this one). */
export function isAbort(err: unknown): boolean {
  if (err instanceof ConnectError) return err.code === Code.Canceled;
  return err instanceof DOMException && err.name === "AbortError";
}

/** The Connect code of `err`, or undefined when it is not a Connect error. */
export function codeOf(err: unknown): Code | undefined {
  return err instanceof ConnectError ? err.code : undefined;
}

/**
 * A readable message for `err`. `field` picks the violation of one request field (the advanced
 * filter box shows only what is wrong with `filter`).
 */
export function errorMessage(err: unknown, field?: string): string {
  if (!(err instanceof ConnectError)) {
    if (err instanceof TypeError) return UNREACHABLE;
    return err instanceof Error && err.message ? err.message : "Something went wrong.";
  }
  const violations = fieldViolations(err);
  const picked = field ? violations.filter((v) => v.field === field) : violations;
  if (picked.length > 0) {
    const text = picked.map((v) => v.description).join("; ");
    return capitalize(text);
  }
  const raw = err.rawMessage.trim();
  if (isUnreachable(err)) return UNREACHABLE;
  switch (err.code) {
    case Code.Unavailable:
      return UNREACHABLE;
    case Code.DeadlineExceeded:
      return "The server took too long to answer. Try again.";
    case Code.Unauthenticated:
      return raw ? capitalize(raw) : "Please sign in again.";
    case Code.PermissionDenied:
      return raw ? capitalize(raw) : "You are not allowed to do that.";
    case Code.NotFound:
      return "It no longer exists — it may have been deleted in another window.";
    case Code.Aborted:
      return "It was changed elsewhere in the meantime. Reload it and try again.";
    case Code.ResourceExhausted:
      return "Too many requests. Wait a moment and try again.";
    case Code.Internal:
    case Code.Unknown:
    case Code.DataLoss:
      return "Something went wrong on the server. Try again.";
    default:
      return raw ? capitalize(raw) : "Something went wrong.";
  }
}

const UNREACHABLE = "Can't reach the server. Check your connection and try again.";

/** What browsers say when a fetch never got an HTTP answer (Chromium, Firefox, Safari). */
const NETWORK_FAILURE = /failed to fetch|networkerror|load failed|network request failed|network error/i;

/**
 * Whether the request never reached the server: connect-web turns the browser's network failure
 * (a TypeError from fetch: server down, connection refused, offline) into UNKNOWN, which would
 * otherwise read as a server fault.
 */
export function isUnreachable(err: unknown): boolean {
  if (err instanceof TypeError) return true;
  if (!(err instanceof ConnectError)) return false;
  if (err.code === Code.Unavailable) return true;
  if (err.code !== Code.Unknown) return false;
  return err.cause instanceof TypeError || NETWORK_FAILURE.test(err.rawMessage);
}

function capitalize(s: string): string {
  return s ? s[0]?.toUpperCase() + s.slice(1) : s;
}
