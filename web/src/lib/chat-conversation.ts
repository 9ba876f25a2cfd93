/**
 * The assistant conversation as the chat panel shows and saves it: its entries, the actions of an
 * answer with their task chips, and the copy kept in sessionStorage (per user) so a reload keeps it.
 */
import type { ActionType } from "@todo/gen/todo/assistant/v1/action_pb";
import type { ChatResponse } from "@todo/gen/todo/assistant/v1/assistant_service_pb";
import { TaskStatus } from "@todo/gen/todo/task/v1/task_pb";

/** A task as a chip shows it (a snapshot from the answer; opening it reads the task afresh). */
export interface ChatChip {
  readonly id: string;
  readonly title: string;
  readonly completed: boolean;
}

/** One action of an answer. */
export interface ChatAction {
  readonly type: ActionType;
  readonly summary: string;
  readonly tasks: readonly ChatChip[];
}

/** One entry of the conversation as the panel shows (and saves) it. */
export type ChatEntry =
  | { readonly id: number; readonly role: "user"; readonly text: string }
  | {
      readonly id: number;
      readonly role: "assistant";
      readonly text: string;
      readonly actions: readonly ChatAction[];
    }
  | { readonly id: number; readonly role: "note"; readonly text: string }
  | { readonly id: number; readonly role: "error"; readonly text: string; readonly retry: string };

/** An entry before it gets its id. */
export type NewEntry = ChatEntry extends infer E ? (E extends ChatEntry ? Omit<E, "id"> : never) : never;

/** What is saved under the panel's storage key. */
export interface Saved {
  readonly conversationId: string;
  readonly entries: readonly ChatEntry[];
}

/** The conversation saved under `key`; undefined when none is, or it is of another format. */
export function readSaved(key: string | undefined): Saved | undefined {
  if (!key) return undefined;
  try {
    const raw = sessionStorage.getItem(key);
    if (!raw) return undefined;
    const value = JSON.parse(raw) as Partial<Saved>;
    if (typeof value.conversationId !== "string" || !Array.isArray(value.entries)) return undefined;
    // Anything that does not look like an entry (another version's format) is dropped.
    const entries = value.entries.filter(
      (e) =>
        typeof e?.id === "number" &&
        typeof e.text === "string" &&
        ["user", "assistant", "note", "error"].includes(e.role) &&
        (e.role !== "assistant" || Array.isArray(e.actions)) &&
        (e.role !== "error" || typeof e.retry === "string"),
    );
    return { conversationId: value.conversationId, entries };
  } catch {
    return undefined;
  }
}

/** Saves the conversation under `key` (removes it when it is empty); nothing without a key. */
export function writeSaved(key: string | undefined, saved: Saved): void {
  if (!key) return;
  try {
    if (saved.entries.length === 0 && !saved.conversationId) sessionStorage.removeItem(key);
    else sessionStorage.setItem(key, JSON.stringify(saved));
  } catch {
    // Storage full or unavailable: the conversation still lives in memory.
  }
}

/** The chips and summary of a response's actions, as plain data. */
export function actionsOf(res: ChatResponse): ChatAction[] {
  return res.actions.map((a) => ({
    type: a.type,
    summary: a.summary,
    tasks: a.tasks.map((t) => ({ id: t.id, title: t.title, completed: t.status === TaskStatus.COMPLETED })),
  }));
}
