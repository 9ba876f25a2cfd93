/**
 * One message answered by the language model: the conversation (a system prompt with today's date and
 * the user's zone, the recent turns, what "it" and "the second one" refer to) goes to the model with
 * the tools; each tool call it makes is checked and carried out through the executor, as the caller,
 * and its result sent back; this repeats until the model answers in words or the rounds run out.
 *
 * When the model fails (see {@link ModelUnavailableError}) before anything was changed, the result is
 * `unavailable` and the caller answers the message offline instead. When it fails after something
 * was changed, falling back would do those things twice, so the reply says what was done and that
 * the rest was not.
 */
import type { Action } from "@todo/gen/todo/assistant/v1/action_pb";
import type { Logger } from "@todo/platform";
import { Temporal } from "temporal-polyfill";
import type { Executor } from "./executor";
import { type ChatMessage, type ChatModel, ModelUnavailableError } from "./model";
import type { ConversationContext, TurnText } from "./store";
import { callTool, toolDefinitions } from "./tools";

/** What a model turn needs. */
export interface ModelTurnInput {
  readonly model: ChatModel;
  readonly executor: Executor;
  /** What the user typed. */
  readonly message: string;
  /** Earlier turns, oldest first. */
  readonly history: readonly TurnText[];
  /** The conversation's context at the start of the turn (what "it" and "the second one" are). */
  readonly context: ConversationContext;
  readonly now: Date;
  readonly timeZone: string;
  readonly log: Logger;
}

/** How the turn ended. */
export type ModelTurnResult =
  | { readonly kind: "answered"; readonly reply: string; readonly actions: readonly Action[] }
  /** The model failed before anything was changed: answer offline. */
  | { readonly kind: "unavailable"; readonly error: ModelUnavailableError };

/** The system prompt: the assistant's rules, the moment and zone, and what follow-ups refer to. */
export function systemPrompt(now: Date, timeZone: string, context: ConversationContext): string {
  const local = Temporal.Instant.fromEpochMilliseconds(now.getTime()).toZonedDateTimeISO(timeZone);
  const today = local.toLocaleString("en-US", {
    weekday: "long",
    year: "numeric",
    month: "long",
    day: "numeric",
    hour: "numeric",
    minute: "2-digit",
  });
  const lines = [
    "You are the assistant of a to-do app. You manage the user's tasks and tags only through the tools; never say you did something that no tool result confirms.",
    `Now it is ${today} (${local.toPlainDateTime().toString({ smallestUnit: "minute" })}) in the user's time zone, ${timeZone} (UTC${local.offset}).`,
    'Dates and times in tool arguments are in the user\'s time zone: ISO 8601 such as 2027-03-12T15:00, or words such as "friday 3pm".',
    "Priorities are names: low, medium, high, urgent.",
    "Name a task by its id when you know it (from a tool result or the context below), otherwise by words of its title.",
    "If several tasks could be meant, a tool answers with candidates: ask the user which one they mean and wait for their answer. Never pick one yourself, least of all to delete it.",
    "If a tool answers with an error, correct the call or tell the user what went wrong.",
    "Reply briefly, in plain text, in the user's language.",
  ];
  const memo = (m: { id: string; title: string }) => `${m.id} "${m.title}"`;
  if (context.lastTouched?.length)
    lines.push(`The task touched last ("it"): ${context.lastTouched.map(memo).join(", ")}.`);
  if (context.pending?.candidates.length)
    lines.push(
      `The user was asked to choose one of these (numbered as shown to them):\n${context.pending.candidates.map((m, i) => `${i + 1}. ${memo(m)}`).join("\n")}`,
    );
  else if (context.lastListed?.length)
    lines.push(
      `The tasks listed last ("the second one" counts in this list):\n${context.lastListed.map((m, i) => `${i + 1}. ${memo(m)}`).join("\n")}`,
    );
  return lines.join("\n");
}

/** Runs the tool-calling loop for one message. */
export async function runModelTurn(input: ModelTurnInput): Promise<ModelTurnResult> {
  const { model, executor, log } = input;
  const tools = toolDefinitions();
  const messages: ChatMessage[] = [
    { role: "system", content: systemPrompt(input.now, input.timeZone, input.context) },
  ];
  for (const turn of input.history) {
    messages.push({ role: "user", content: turn.message });
    messages.push({ role: "assistant", content: turn.reply });
  }
  messages.push({ role: "user", content: input.message });
  const actions: Action[] = [];
  let changed = false;
  const env = { executor, ctx: { now: input.now, timeZone: input.timeZone } };
  const summaries = () => actions.map((a) => `${a.summary}.`).join("\n");

  for (let round = 1; round <= model.config.maxRounds; round++) {
    let reply: Awaited<ReturnType<ChatModel["complete"]>>;
    try {
      reply = await model.complete(messages, tools);
    } catch (e) {
      if (!(e instanceof ModelUnavailableError)) throw e;
      if (!e.coolingDown)
        log.warn("language model unavailable", { error: e.message, round, model: model.config.model });
      if (!changed) return { kind: "unavailable", error: e };
      return {
        kind: "answered",
        reply: `${summaries()}\nThen the language model stopped answering, so I did nothing more. Check the result, and ask again for anything missing.`,
        actions,
      };
    }
    if (reply.toolCalls.length === 0) {
      return { kind: "answered", reply: reply.content, actions };
    }
    messages.push({
      role: "assistant",
      content: reply.content === "" ? null : reply.content,
      tool_calls: reply.toolCalls.map((c) => ({
        id: c.id,
        type: "function" as const,
        function: {
          name: c.name ?? "",
          arguments: typeof c.arguments === "string" ? c.arguments : JSON.stringify(c.arguments ?? {}),
        },
      })),
    });
    for (const call of reply.toolCalls) {
      const result = await callTool(call, env);
      if (result.action) actions.push(result.action);
      if (result.changed) changed = true;
      messages.push({ role: "tool", tool_call_id: call.id, content: result.content });
    }
  }
  log.warn("language model used every round without answering", { rounds: model.config.maxRounds });
  return {
    kind: "answered",
    reply:
      actions.length > 0
        ? `${summaries()}\nI stopped there: the request took more steps than I may take for one message.`
        : "I could not finish that in the steps I may take for one message, and changed nothing. Try saying it more simply.",
    actions,
  };
}
