/**
 * `todo.assistant.v1.AssistantService.Chat`. A message is answered by the language model when one is
 * configured (`model.ts`, the tools in `tools.ts`), and otherwise — or whenever the model cannot be
 * used — by the deterministic offline interpreter (`interpreter.ts`, built on the quick-add parser
 * `@todo/language`). Either way every action is carried out by the same executor (`executor.ts`)
 * through the ordinary TaskService and TagService clients **as the caller**: the handler forwards the
 * caller's own `authorization` header, so the task and tag services authenticate, validate and scope
 * every call exactly as for any other client, and the assistant needs no token-issuing power of its own.
 *
 * The conversation is kept (schema `assistant`): its turns, the tasks last listed and last touched,
 * and an action waiting for a choice, so follow-ups work. A task named by words that match several
 * tasks is never guessed: the assistant lists them and asks (CLARIFY), and nothing changes until the
 * user picks one. Another user's conversation id is NOT_FOUND. Tasks the assistant creates carry a
 * request id derived from the conversation, the turn and their position, so a Chat retried after a
 * failure does not create them twice.
 */
import type { CallOptions, Client, ServiceImpl } from "@connectrpc/connect";
import type { Action } from "@todo/gen/todo/assistant/v1/action_pb";
import type { AssistantService } from "@todo/gen/todo/assistant/v1/assistant_service_pb";
import type { TagService } from "@todo/gen/todo/tag/v1/tag_service_pb";
import type { TaskService } from "@todo/gen/todo/task/v1/task_service_pb";
import { createLogger, type Logger, notFound, principalOf } from "@todo/platform";
import { assistantRequestId, createExecutor, type MutableContext } from "./executor";
import { interpret } from "./interpreter";
import { type ChatModel, createChatModel, type ModelConfig } from "./model";
import { runModelTurn } from "./model-turn";
import type { AssistantStore, ConversationContext, StoredAction } from "./store";

export { CLARIFY_LIMIT, EXAMPLES, LIST_LIMIT, listFilter } from "./executor";

/** What the service needs. */
export interface AssistantServiceDeps {
  /** TaskService, reached through any transport; calls carry the caller's own token. */
  readonly tasks: Client<typeof TaskService>;
  /** TagService, likewise. */
  readonly tags: Client<typeof TagService>;
  readonly store: AssistantStore;
  /** The time messages are read at ("tomorrow", "this week"); default the system clock. */
  readonly clock?: () => Date;
  /**
   * The language model (see `modelConfigFromEnv`), or a ready client; without one every message is
   * answered offline.
   */
  readonly model?: ModelConfig | ChatModel;
  /** Where warnings go (the model failing); default the `assistant` logger. */
  readonly log?: Logger;
}

/** Creates the AssistantService implementation. */
export function createAssistantService(deps: AssistantServiceDeps): ServiceImpl<typeof AssistantService> {
  const { tasks, tags, store } = deps;
  const clock = deps.clock ?? (() => new Date());
  const log = deps.log ?? createLogger("assistant");
  const model: ChatModel | undefined =
    deps.model === undefined
      ? undefined
      : "complete" in deps.model
        ? deps.model
        : createChatModel(deps.model);

  return {
    async chat(req, ctx) {
      const principal = principalOf(ctx);
      const authorization = ctx.requestHeader.get("authorization");
      const call: CallOptions = authorization ? { headers: { authorization } } : {};
      let conversationId = req.conversationId;
      let context: ConversationContext;
      if (conversationId === "") {
        conversationId = await store.create(principal.userId);
        context = {};
      } else {
        const found = await store.context(principal.userId, conversationId);
        if (!found) throw notFound("conversation", conversationId);
        context = found;
      }
      const { next: turn, recent } = await store.turns(
        principal.userId,
        conversationId,
        model ? model.config.historyTurns : 0,
      );
      const now = clock();
      const timeZone = principal.timeZone;
      // The first day of "this week": the user's setting (AuthService.UpdateUser), Monday by default.
      const weekStart = principal.weekStart ?? 1;
      const id = conversationId;
      const executorFor = (state: MutableContext) =>
        createExecutor({
          tasks,
          tags,
          call,
          now,
          timeZone,
          state,
          requestId: (index) => assistantRequestId(id, turn, index, req.message),
        });

      const offline = async (): Promise<{ state: MutableContext; reply: string; actions: Action[] }> => {
        const state: MutableContext = { ...context };
        const executor = executorFor(state);
        const replies: string[] = [];
        const actions: Action[] = [];
        for (const intent of interpret(req.message, { now, timeZone, weekStart })) {
          const outcome = await executor.execute(intent);
          replies.push(outcome.reply);
          if (outcome.action) actions.push(outcome.action);
        }
        return { state, reply: replies.join("\n"), actions };
      };

      let answer: { state: MutableContext; reply: string; actions: readonly Action[] } | undefined;
      if (model) {
        const state: MutableContext = { ...context };
        const result = await runModelTurn({
          model,
          executor: executorFor(state),
          message: req.message,
          history: recent,
          context,
          now,
          timeZone,
          log,
        });
        // Unavailable means nothing was changed: the offline interpreter answers from the same start.
        if (result.kind === "answered") answer = { state, reply: result.reply, actions: result.actions };
      }
      answer ??= await offline();

      const stored: StoredAction[] = answer.actions.map((a) => ({
        type: a.type,
        summary: a.summary,
        taskIds: a.tasks.map((t) => t.id),
      }));
      await store.record(
        principal.userId,
        conversationId,
        { message: req.message, reply: answer.reply, actions: stored },
        answer.state,
      );
      return { conversationId, reply: answer.reply, actions: [...answer.actions] };
    },
  };
}
