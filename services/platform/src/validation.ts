/**
 * The one validation layer that runs before every handler. It checks the request fields marked
 * `(google.api.field_behavior) = REQUIRED` in the contract, then the method's own validator, and
 * answers INVALID_ARGUMENT with every field violation at once. Handlers may assume valid input.
 */

import type { DescService } from "@bufbuild/protobuf";
import { type DescMessage, getOption, isFieldSet, type Message } from "@bufbuild/protobuf";
import type { Interceptor } from "@connectrpc/connect";
import { FieldBehavior, field_behavior } from "@todo/gen/google/api/field_behavior_pb";
import { type FieldViolation, invalidArgument } from "./errors";

/** Checks one request; returns its violations (empty when valid). */
export type RequestValidator = (message: Message) => FieldViolation[];

/** The validators of one service, by method name (`CreateTask`). */
export type ServiceValidators = Record<string, RequestValidator>;

/** The top-level REQUIRED fields of `schema` that `message` leaves unset. */
export function missingRequiredFields(schema: DescMessage, message: Message): FieldViolation[] {
  const out: FieldViolation[] = [];
  for (const field of schema.fields) {
    const behaviors = getOption(field, field_behavior);
    if (behaviors.includes(FieldBehavior.REQUIRED) && !isFieldSet(message, field)) {
      out.push({ field: field.name, description: "is required" });
    }
  }
  return out;
}

/** Creates the validation interceptor for every registered service. */
export function createValidationInterceptor(
  byService: ReadonlyMap<DescService, ServiceValidators>,
): Interceptor {
  const byName = new Map<string, RequestValidator>();
  for (const [service, validators] of byService) {
    for (const [method, fn] of Object.entries(validators)) byName.set(`${service.typeName}/${method}`, fn);
  }
  return (next) => async (req) => {
    if (!req.stream) {
      const message = req.message as Message;
      const violations = missingRequiredFields(req.method.input, message);
      if (violations.length === 0) {
        const custom = byName.get(`${req.service.typeName}/${req.method.name}`);
        if (custom) violations.push(...custom(message));
      }
      if (violations.length > 0) throw invalidArgument(violations);
    }
    return next(req);
  };
}
