/**
 * The one validation layer that runs before every handler. It checks, from the contract, the request
 * fields marked `(google.api.field_behavior) = REQUIRED` and the text of every string field (well-formed
 * Unicode, no control characters but where `(todo.validation.v1.multiline)` allows line breaks, see
 * text-fields.ts), then the method's own validator, and answers INVALID_ARGUMENT with every field
 * violation at once. Handlers may assume valid input. The request of a server stream gets the
 * contract's checks too (its method validator, if any, is the handler's business).
 */

import type { DescService } from "@bufbuild/protobuf";
import { type DescMessage, getOption, isFieldSet, type Message } from "@bufbuild/protobuf";
import type { Interceptor } from "@connectrpc/connect";
import { FieldBehavior, field_behavior } from "@todo/gen/google/api/field_behavior_pb";
import { type FieldViolation, invalidArgument } from "./errors";
import { markInvalidUtf8, textFieldViolations } from "./text-fields";

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
  markInvalidUtf8();
  const byName = new Map<string, RequestValidator>();
  for (const [service, validators] of byService) {
    for (const [method, fn] of Object.entries(validators)) byName.set(`${service.typeName}/${method}`, fn);
  }
  const contractViolations = (schema: DescMessage, message: Message) => [
    ...missingRequiredFields(schema, message),
    ...textFieldViolations(schema, message),
  ];
  return (next) => async (req) => {
    if (req.stream) {
      const input = req.message;
      const schema = req.method.input;
      async function* checked() {
        for await (const message of input) {
          const violations = contractViolations(schema, message as Message);
          if (violations.length > 0) throw invalidArgument(violations);
          yield message;
        }
      }
      return next({ ...req, message: checked() });
    }
    const message = req.message as Message;
    const violations = contractViolations(req.method.input, message);
    if (violations.length === 0) {
      const custom = byName.get(`${req.service.typeName}/${req.method.name}`);
      if (custom) violations.push(...custom(message));
    }
    if (violations.length > 0) throw invalidArgument(violations);
    return next(req);
  };
}
