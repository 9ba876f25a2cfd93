/**
 * The task chips of one action of an assistant answer: a chip opens its task; the candidates of
 * the latest "which one?" question (CLARIFY) are chips that answer it with their number; deleted
 * tasks are plain text.
 */
import { ActionType } from "@todo/gen/todo/assistant/v1/action_pb";
import { For, type JSX, Show } from "solid-js";
import type { ChatAction, ChatChip } from "../lib/chat-conversation";

/** The accessible name of an action's chip list, by what the action did. */
const CHIPS_LABEL: Record<ActionType, string> = {
  [ActionType.UNSPECIFIED]: "Tasks touched",
  [ActionType.CREATE_TASK]: "Created",
  [ActionType.UPDATE_TASK]: "Changed",
  [ActionType.COMPLETE_TASK]: "Completed",
  [ActionType.REOPEN_TASK]: "Reopened",
  [ActionType.DELETE_TASK]: "Deleted",
  [ActionType.LIST_TASKS]: "Found",
  [ActionType.RENAME_TAG]: "Tags",
  [ActionType.CLARIFY]: "Which one?",
};

/** Props of {@link ChatChips}. */
export interface ChatChipsProps {
  readonly action: ChatAction;
  /** Whether the action belongs to the latest answer (only its choices can still be picked). */
  readonly latest: boolean;
  /** A message is on its way: choices wait. */
  readonly pending: boolean;
  /** The id of the task being opened, if any. */
  readonly opening: string | undefined;
  /** Answers a "which one?" question with candidate `n` (from 1). */
  onChoose(n: number): void;
  onOpen(chip: ChatChip): void;
}

/** The chips of `p.action` (see the module comment). */
export function ChatChips(p: ChatChipsProps): JSX.Element {
  const clarify = () => p.action.type === ActionType.CLARIFY && p.latest;
  return (
    <Show when={p.action.tasks.length > 0}>
      <ul class="chat-chips" aria-label={CHIPS_LABEL[p.action.type] ?? "Tasks touched"}>
        <For each={p.action.tasks}>
          {(chip, i) => (
            <li>
              <Show
                when={!clarify()}
                fallback={
                  <button
                    type="button"
                    class="chat-chip chat-chip--choice"
                    classList={{ "chat-chip--completed": chip.completed }}
                    disabled={p.pending}
                    onClick={() => p.onChoose(i() + 1)}
                  >
                    {i() + 1}. {chip.title}
                  </button>
                }
              >
                <Show
                  when={p.action.type !== ActionType.DELETE_TASK}
                  fallback={
                    <span class="chat-chip chat-chip--deleted">
                      {chip.title}
                      <span class="visually-hidden"> (deleted)</span>
                    </span>
                  }
                >
                  <button
                    type="button"
                    class="chat-chip"
                    classList={{ "chat-chip--completed": chip.completed }}
                    aria-busy={p.opening === chip.id}
                    title="Open the task"
                    onClick={() => p.onOpen(chip)}
                  >
                    <Show when={chip.completed}>
                      <svg
                        class="icon chat-chip__check"
                        width="12"
                        height="12"
                        viewBox="0 0 24 24"
                        fill="none"
                        stroke="currentColor"
                        stroke-width="3"
                        aria-hidden="true"
                      >
                        <path d="M5 12.5l4.5 4.5L19 7" />
                      </svg>
                    </Show>
                    {chip.title}
                    <Show when={chip.completed}>
                      <span class="visually-hidden"> (completed)</span>
                    </Show>
                  </button>
                </Show>
              </Show>
            </li>
          )}
        </For>
      </ul>
    </Show>
  );
}
