/**
 * Tool errors: an argument a tool could not use ({@link ToolInputError}), and the text a failed call
 * is reported with — the service's own gRPC code, message and field violations, never internals.
 */
import { Code, ConnectError } from "@connectrpc/connect";
import { BadRequestSchema } from "@todo/gen/google/rpc/error_details_pb";

/** A tool argument the tools could not use; its message is shown to the client as a tool error. */
export class ToolInputError extends Error {
  override readonly name = "ToolInputError";
}

/** The gRPC name of a code, `NOT_FOUND` for `Code.NotFound`. */
export function codeName(code: Code): string {
  return (Code[code] ?? "UNKNOWN").replace(/([a-z])([A-Z])/g, "$1_$2").toUpperCase();
}

/** The text of a tool error for a failed call: the service's code, message and field violations. */
export function errorText(err: unknown): string {
  if (err instanceof ToolInputError) return `INVALID_ARGUMENT: ${err.message}`;
  if (err instanceof ConnectError) {
    // Violations the message does not already spell out (it often is the first one).
    const violations = err
      .findDetails(BadRequestSchema)
      .flatMap((d) => d.fieldViolations.map((v) => `${v.field}: ${v.description}`))
      .filter((v) => !err.rawMessage.includes(v));
    const base = `${codeName(err.code)}: ${err.rawMessage}`;
    return violations.length > 0 ? `${base} (${violations.join("; ")})` : base;
  }
  return "INTERNAL: the tool failed unexpectedly";
}
