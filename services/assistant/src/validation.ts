/**
 * Request validation for AssistantService (run by the platform's validation interceptor before the
 * handler): the message is 1 to 2 000 characters and not blank; a conversation id, when given, is a
 * UUID. Whether the conversation is the caller's is the handler's check (NOT_FOUND otherwise).
 */
import type { Message } from "@bufbuild/protobuf";
import type { ChatRequest } from "@todo/gen/todo/assistant/v1/assistant_service_pb";
import type { FieldViolation, ServiceValidators } from "@todo/platform";

/** The longest message, in characters. */
export const MAX_MESSAGE = 2000;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Whether `id` can be a conversation id. */
export function isUuid(id: string): boolean {
  return UUID.test(id);
}

function chat(message: Message): FieldViolation[] {
  const req = message as ChatRequest;
  const out: FieldViolation[] = [];
  const length = [...req.message].length;
  if (req.message.trim() === "")
    out.push({ field: "message", description: "is required and must not be blank" });
  else if (length > MAX_MESSAGE)
    out.push({ field: "message", description: `must be at most ${MAX_MESSAGE} characters (got ${length})` });
  if (req.conversationId !== "" && !isUuid(req.conversationId))
    out.push({
      field: "conversation_id",
      description: "must be the id of one of your conversations (a UUID), or empty",
    });
  return out;
}

/** The AssistantService validators, by method. */
export const assistantValidators: ServiceValidators = { Chat: chat };
