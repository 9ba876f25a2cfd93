/**
 * What the executor's pieces share while they answer one turn: the caller's clients, the moment and
 * zone, the conversation's context (updated in place), the tasks offered as a choice so far, and the
 * wording of tasks in replies — and what carrying out one intent comes to ({@link Outcome}).
 */
import { create } from "@bufbuild/protobuf";
import { type Action, ActionSchema, type ActionType } from "@todo/gen/todo/assistant/v1/action_pb";
import type { Task } from "@todo/gen/todo/task/v1/task_pb";
import type { TaskClients } from "@todo/tools";
import type { ConversationContext, TaskMemo } from "./store";
import type { TaskWording } from "./task-wording";

/** What carrying out one intent came to. */
export interface Outcome {
  /** What to tell the user. */
  readonly reply: string;
  /** The action taken (or the CLARIFY offering a choice). */
  readonly action?: Action;
  /**
   * `done`: carried out; `ask`: the user has to choose a task first (nothing changed); `not_done`:
   * nothing changed (not found, not understood, refused, or an error of the user's to fix).
   */
  readonly status: "done" | "ask" | "not_done";
}

/** The context the executor reads and updates (the tasks listed and touched, a pending choice). */
export type MutableContext = { -readonly [K in keyof ConversationContext]: ConversationContext[K] };

/** One turn being answered. */
export interface Turn {
  /** The caller's clients; every call is made as the caller. */
  readonly clients: TaskClients;
  /** The moment the message is read at ("overdue" is before it). */
  readonly now: Date;
  /** The caller's IANA zone: new tasks get it; replies show times in it. */
  readonly timeZone: string;
  /** The conversation's context, updated in place as intents run. */
  readonly state: MutableContext;
  /** Tasks offered as a choice in this turn: the user has not answered yet. */
  readonly offered: Set<string>;
  readonly words: TaskWording;
}

/** A task as the conversation remembers it. */
export function memo(task: Task): TaskMemo {
  return { id: task.id, title: task.title };
}

/** Remembers `list` as the tasks touched last ("it"). */
export function touched(turn: Turn, list: readonly Task[]): void {
  turn.state.lastTouched = list.map(memo);
}

/** An action for the reply. */
export function action(type: ActionType, tasks: readonly Task[], summary: string): Action {
  return create(ActionSchema, { type, tasks: [...tasks], summary });
}
