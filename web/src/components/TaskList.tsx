/**
 * The list of loaded tasks, with infinite scroll: a sentinel below the last row asks for the next
 * page as it comes within a screen of view (and a "Load more" button does the same for keyboard
 * users and browsers without IntersectionObserver). Only loaded pages are in the DOM, and rows off
 * screen skip layout and paint (`content-visibility: auto`), so thousands of rows stay smooth.
 */
import type { RecurrenceAnchor, Task } from "@todo/gen/todo/task/v1/task_pb";
import { For, type JSX, onCleanup, onMount, Show } from "solid-js";
import type { TaskListStore } from "../state/task-list";
import { AlertIcon, CheckCircleIcon } from "./Icons";
import { TaskRow } from "./TaskRow";

/** Props of {@link TaskList}. */
export interface TaskListProps {
  readonly store: TaskListStore;
  readonly now: Date;
  readonly timeZone: string;
  readonly selectedId?: string | undefined;
  /** Whether the view has any filter or search (changes the empty state's words). */
  readonly filtered: boolean;
  pending(id: string): boolean;
  describeRecurrence(rrule: string, anchor?: RecurrenceAnchor): string;
  tagColor?(name: string): string | undefined;
  onToggle(task: Task): void;
  onOpen(task: Task): void;
  onTag(name: string): void;
  onSelect(task: Task): void;
  /** Deletes a task (offered in each row's menu). */
  onDelete?(task: Task): void;
  onClearFilters(): void;
}

/** The task list with its loading, error and empty states. */
export function TaskList(props: TaskListProps): JSX.Element {
  let sentinel: HTMLDivElement | undefined;

  onMount(() => {
    if (!sentinel || typeof IntersectionObserver === "undefined") return;
    const io = new IntersectionObserver(
      (entries) => {
        if (entries.some((e) => e.isIntersecting)) props.store.loadMore();
      },
      { rootMargin: "800px 0px" },
    );
    io.observe(sentinel);
    onCleanup(() => io.disconnect());
  });

  const s = props.store;
  return (
    <div class="task-list-wrap" aria-busy={s.loading() ? "true" : "false"}>
      <Show when={s.error() && !s.error()?.filter}>
        <div class="list-error" role="alert">
          <AlertIcon />
          <span>{s.error()?.message}</span>
          <button type="button" class="link-button" onClick={() => s.resync()}>
            Try again
          </button>
        </div>
      </Show>
      <Show when={!s.ready() && s.items().length === 0}>
        <ul class="task-list task-list--skeleton" aria-hidden="true">
          <For each={[1, 2, 3, 4, 5]}>
            {() => (
              <li class="task-row skeleton-row">
                <span class="skeleton skeleton--check" />
                <span class="skeleton skeleton--line" />
              </li>
            )}
          </For>
        </ul>
      </Show>
      <Show when={s.ready() && s.items().length === 0 && !s.loading() && !s.error()}>
        <div class="empty-state">
          <CheckCircleIcon size={48} class="empty-state__icon" />
          <Show
            when={props.filtered}
            fallback={
              <>
                <p class="empty-state__title">All clear</p>
                <p class="empty-state__text">
                  Nothing to do. Add a task above — try “call mom tomorrow 6pm”.
                </p>
              </>
            }
          >
            <p class="empty-state__title">No tasks match</p>
            <p class="empty-state__text">Try another search or fewer filters.</p>
            <button type="button" class="button" onClick={() => props.onClearFilters()}>
              Clear filters
            </button>
          </Show>
        </div>
      </Show>
      {/* biome-ignore lint/a11y/noRedundantRoles: Safari drops the list role of a ul styled without bullets. */}
      <ul class="task-list" role="list" aria-label="Tasks" classList={{ "task-list--stale": s.loading() }}>
        <For each={s.items()}>
          {(task) => (
            <TaskRow
              task={task}
              now={props.now}
              timeZone={props.timeZone}
              selected={props.selectedId === task.id}
              pending={props.pending(task.id)}
              describeRecurrence={props.describeRecurrence}
              {...(props.tagColor ? { tagColor: props.tagColor } : {})}
              onToggle={props.onToggle}
              onOpen={props.onOpen}
              onTag={props.onTag}
              onSelect={props.onSelect}
              {...(props.onDelete ? { onDelete: props.onDelete } : {})}
            />
          )}
        </For>
      </ul>
      <div ref={sentinel} class="list-sentinel" />
      <Show when={s.hasMore()}>
        <div class="load-more">
          <button
            type="button"
            class="button button--quiet"
            disabled={s.loadingMore()}
            onClick={() => s.loadMore()}
          >
            {s.loadingMore() ? "Loading…" : "Load more"}
          </button>
        </div>
      </Show>
    </div>
  );
}
