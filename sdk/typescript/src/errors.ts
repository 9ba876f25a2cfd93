/** Reading the details the server attaches to an error. */
import { ConnectError } from "@connectrpc/connect";
import { BadRequestSchema } from "@todo/gen/google/rpc/error_details_pb";

/** One problem with one request field, as the server reported it. */
export interface FieldViolation {
  /** The field's path in the request, in proto names: `task.title`, `filter`, `task.reminders[1].before_due`. */
  readonly field: string;
  /** What is wrong with it, in words a developer can act on. */
  readonly description: string;
}

/**
 * The field violations of an INVALID_ARGUMENT error: every `google.rpc.BadRequest` detail's
 * `field_violations`, in order. Takes anything a `catch` caught, and returns `[]` for an error
 * that is not a `ConnectError` or carries no such detail — so
 * `for (const v of fieldViolations(err))` needs no checks first.
 */
export function fieldViolations(error: unknown): FieldViolation[] {
  if (!(error instanceof ConnectError)) return [];
  return error
    .findDetails(BadRequestSchema)
    .flatMap((detail) => detail.fieldViolations.map((v) => ({ field: v.field, description: v.description })));
}
