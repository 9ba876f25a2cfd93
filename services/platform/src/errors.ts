/**
 * Errors a client can act on. Every failure leaves a handler as a `ConnectError` with a precise code
 * and a short message without internals; bad input carries `google.rpc.BadRequest` field violations
 * naming the offending field.
 */
import { create } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { BadRequestSchema } from "@todo/gen/google/rpc/error_details_pb";

/** One problem with one request field (`task.title`, `filter`, `task.reminders[1].before_due`). */
export interface FieldViolation {
  readonly field: string;
  readonly description: string;
}

/** INVALID_ARGUMENT naming every offending field, with `google.rpc.BadRequest` attached. */
export function invalidArgument(violations: FieldViolation | readonly FieldViolation[]): ConnectError {
  const list = Array.isArray(violations) ? violations : [violations as FieldViolation];
  const message = list.map((v) => `${v.field}: ${v.description}`).join("; ");
  return new ConnectError(message, Code.InvalidArgument, undefined, [
    {
      desc: BadRequestSchema,
      value: create(BadRequestSchema, {
        fieldViolations: list.map((v) => ({ field: v.field, description: v.description })),
      }),
    },
  ]);
}

/** NOT_FOUND for a resource the caller cannot see — whether it is missing or belongs to someone else. */
export function notFound(kind: string, id: string): ConnectError {
  return new ConnectError(`${kind} ${JSON.stringify(id)} not found`, Code.NotFound);
}

/** Collects field violations so a handler can report all of them at once. */
export class Violations {
  readonly list: FieldViolation[] = [];
  add(field: string, description: string): void {
    this.list.push({ field, description });
  }
  /** Throws INVALID_ARGUMENT when anything was added. */
  throwIfAny(): void {
    if (this.list.length > 0) throw invalidArgument(this.list);
  }
}
