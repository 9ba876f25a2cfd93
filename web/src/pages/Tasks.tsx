/**
 * The task page: quick add, search, filters and the list, all driven by the URL (see
 * state/view.ts), kept live by the shared WatchTasks feed, with keyboard shortcuts — `n` new task,
 * `/` search, `j`/`k` move, `x` complete, `e` (or Enter) edit, Delete deletes (with Undo) — and the
 * editor in a dialog.
 */
import { useNavigate, useSearchParams } from "@solidjs/router";
import { ChangeType } from "@todo/gen/todo/task/v1/task_change_pb";
import type { Task } from "@todo/gen/todo/task/v1/task_pb";
import { TaskService } from "@todo/gen/todo/task/v1/task_service_pb";
import { createEffect, createMemo, createSignal, type JSX, on, onCleanup, onMount, Show } from "solid-js";
import { withEarlyFirstPage } from "../api/early-list";
import { useSession } from "../api/session";
import { useClient } from "../api/transport";
import { EditorDialog, preloadEditor } from "../components/EditorDialog";
import { FilterBar } from "../components/FilterBar";
import { QuickAdd } from "../components/QuickAdd";
import { SearchBox } from "../components/SearchBox";
import { TaskList } from "../components/TaskList";
import { useToasts } from "../components/Toast";
import { isTyping } from "../lib/keys";
import { useNow } from "../state/clock";
import { useFirstScreen } from "../state/first-screen";
import { describeRecurrence, preloadLanguage } from "../state/language";
import { useTagCatalog } from "../state/tags";
import { createTaskActions } from "../state/task-actions";
import { useTaskFeed } from "../state/task-feed";
import { createTaskList } from "../state/task-list";
import {
  DEFAULT_VIEW,
  DUE_LABELS,
  isFiltered,
  matchesView,
  PAGE_SIZE,
  parseView,
  type TaskView,
  viewToParams,
} from "../state/view";

/** The heading of a view. */
function headingOf(view: TaskView): string {
  if (view.q.trim()) return `Search: “${view.q.trim()}”`;
  if (view.due) return DUE_LABELS[view.due];
  if (view.tags.length === 1) return `#${view.tags[0]}`;
  if (view.status === "completed") return "Completed";
  if (view.filter.trim()) return "Filtered tasks";
  return view.status === "all" ? "All tasks" : "Tasks";
}

/** The task page. */
export function TasksPage(): JSX.Element {
  const session = useSession();
  const client = useClient(TaskService);
  const toasts = useToasts();
  const feed = useTaskFeed();
  const tags = useTagCatalog();
  const now = useNow();
  const firstScreen = useFirstScreen();
  const navigate = useNavigate();
  const [params, setParams] = useSearchParams();
  const view = createMemo(() => parseView(params), DEFAULT_VIEW, {
    equals: (a, b) => JSON.stringify(a) === JSON.stringify(b),
  });
  const setView = (patch: Partial<TaskView>, replace = false) =>
    setParams(viewToParams({ ...view(), ...patch }), { replace });

  let adoptedEarly = false;
  const list = createTaskList({
    listTasks: withEarlyFirstPage(
      (req, opts) => client.listTasks(req, { signal: opts.signal }),
      session.token,
      {
        onAdopted: () => {
          adoptedEarly = true;
        },
      },
    ),
    view,
    context: () => ({ now: new Date(), timeZone: session.timeZone() }),
    pageSize: PAGE_SIZE,
  });
  const actions = createTaskActions({
    calls: {
      complete: async (t) => (await client.completeTask({ id: t.id, etag: t.etag })).task,
      reopen: async (t) => {
        const res = await client.reopenTask({ id: t.id, etag: t.etag });
        return { task: res.task, withdrawnTaskId: res.withdrawnTaskId };
      },
      remove: async (t) => {
        await client.deleteTask({ id: t.id, etag: t.etag });
      },
      undelete: async (id) => (await client.undeleteTask({ id })).task,
      get: async (id) => (await client.getTask({ id })).task,
    },
    list,
    toast: (t) => toasts.show(t),
  });

  const [selectedId, setSelectedId] = createSignal<string>();
  const [editing, setEditing] = createSignal<{ task?: Task } | undefined>();
  let quickAddInput: HTMLInputElement | undefined;
  let searchInput: HTMLInputElement | undefined;

  // Live changes from every window and service (the scheduler's next occurrences included).
  onMount(() => {
    const off = feed?.subscribe((e) => {
      if (e.kind === "resync") list.resync();
      else if (e.change.task) {
        list.apply(e.change.type, e.change.task);
        tags?.notice(e.change.task.tags);
      }
    });
    onCleanup(() => off?.());
    // The editor's and the parser's code load while the person looks at the list, so `e` and quick
    // add answer at once — but only after the first page is on screen, never competing with it.
    const preload = () => {
      const idle = (window as { requestIdleCallback?: (cb: () => void) => number }).requestIdleCallback;
      if (idle) idle(() => preloadEditor());
      else setTimeout(preloadEditor, 1500);
      preloadLanguage();
    };
    if (firstScreen) firstScreen.after(() => setTimeout(preload, 300));
    else setTimeout(preload, 1000);
  });

  createEffect(() => {
    document.title = `${headingOf(view())} · Todo`;
  });

  // The first page (or its error) is what the app's start-up waits for (state/first-screen.ts).
  createEffect(() => {
    if (list.ready()) firstScreen?.shown();
  });
  // A first page taken from index.html's early request was read before WatchTasks was listening:
  // once the stream is live, read it again (after the first screen), so that a change made in
  // between is not missed. Unchanged rows keep their DOM, so usually nothing on screen moves.
  let caughtUp = false;
  createEffect(() => {
    if (caughtUp || !adoptedEarly || !list.ready() || feed?.state() !== "live") return;
    caughtUp = true;
    if (firstScreen) firstScreen.after(() => list.resync());
    else list.resync();
  });

  // When the selected task leaves the list (completed, deleted), select the one that took its place.
  let lastIndex = 0;
  createEffect(
    on(list.items, (items) => {
      const id = selectedId();
      if (!id) return;
      const i = items.findIndex((t) => t.id === id);
      if (i >= 0) lastIndex = i;
      else {
        const next = items[Math.min(lastIndex, items.length - 1)];
        setSelectedId(next?.id);
      }
    }),
  );

  const focusRow = (id: string) => {
    const el = document.querySelector<HTMLElement>(`[data-task-id="${CSS.escape(id)}"]`);
    el?.focus({ preventScroll: true });
    el?.scrollIntoView?.({ block: "nearest" });
  };
  const move = (delta: number) => {
    const items = list.items();
    if (items.length === 0) return;
    const current = items.findIndex((t) => t.id === selectedId());
    const next =
      current < 0
        ? delta > 0
          ? 0
          : items.length - 1
        : Math.max(0, Math.min(items.length - 1, current + delta));
    const task = items[next];
    if (!task) return;
    setSelectedId(task.id);
    lastIndex = next;
    focusRow(task.id);
    if (next >= items.length - 5) list.loadMore();
  };
  const selected = () => {
    const id = selectedId();
    return id ? list.find(id) : undefined;
  };

  onMount(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.defaultPrevented || e.ctrlKey || e.metaKey || e.altKey || editing()) return;
      if (isTyping(e.target)) return;
      switch (e.key) {
        case "n":
          e.preventDefault();
          quickAddInput?.focus();
          break;
        case "/":
          e.preventDefault();
          searchInput?.focus();
          searchInput?.select();
          break;
        case "j":
        case "ArrowDown":
          if (e.key === "ArrowDown" && !(e.target as HTMLElement)?.closest?.(".task-list")) return;
          e.preventDefault();
          move(1);
          break;
        case "k":
        case "ArrowUp":
          if (e.key === "ArrowUp" && !(e.target as HTMLElement)?.closest?.(".task-list")) return;
          e.preventDefault();
          move(-1);
          break;
        case "x": {
          const t = selected();
          if (t) {
            e.preventDefault();
            void actions.toggleComplete(t);
          }
          break;
        }
        case "Delete": {
          const t = selected();
          if (t) {
            e.preventDefault();
            void actions.remove(t);
          }
          break;
        }
        case "e": {
          const t = selected();
          if (t) {
            e.preventDefault();
            setEditing({ task: t });
          }
          break;
        }
      }
    };
    document.addEventListener("keydown", onKey);
    onCleanup(() => document.removeEventListener("keydown", onKey));
  });

  const onCreated = (task: Task) => {
    list.apply(ChangeType.CREATED, task);
    tags?.notice(task.tags);
    const shown = matchesView(task, view(), { now: new Date(), timeZone: session.timeZone() });
    if (shown === false) {
      toasts.show({
        message: `Added “${task.title}” — not shown in this view`,
        action: { label: "Show all", run: () => navigate("/") },
      });
    }
  };

  return (
    <section class="tasks-page" aria-labelledby="tasks-heading">
      <div class="page-head">
        <h1 id="tasks-heading">{headingOf(view())}</h1>
        <span class="page-head__count" aria-live="polite">
          <Show when={list.ready()}>
            {list.totalCapped() ? `${list.total()}+` : list.total()}{" "}
            {list.total() === 1 && !list.totalCapped() ? "task" : "tasks"}
          </Show>
        </span>
      </div>
      <QuickAdd
        timeZone={session.timeZone()}
        ref={(el) => {
          quickAddInput = el;
        }}
        onCreated={onCreated}
        onOpenEditor={() => setEditing({})}
      />
      <SearchBox
        value={view().q}
        ref={(el) => {
          searchInput = el;
        }}
        onSearch={(q) => setView({ q }, true)}
      />
      <FilterBar
        view={view()}
        tags={tags?.tags() ?? []}
        filterError={list.error()?.filter}
        onChange={(patch) => setView(patch)}
        onClear={() => setParams(viewToParams({ ...DEFAULT_VIEW, sort: view().sort, dir: view().dir }))}
      />
      <TaskList
        store={list}
        now={now()}
        timeZone={session.timeZone()}
        selectedId={selectedId()}
        filtered={isFiltered(view())}
        pending={actions.pending}
        describeRecurrence={describeRecurrence}
        tagColor={(name) => tags?.colorOf(name)}
        onToggle={(t) => void actions.toggleComplete(t)}
        onOpen={(t) => setEditing({ task: t })}
        onTag={(name) => {
          if (!view().tags.some((t) => t.toLowerCase() === name.toLowerCase()))
            setView({ tags: [...view().tags, name] });
        }}
        onSelect={(t) => setSelectedId(t.id)}
        onDelete={(t) => void actions.remove(t)}
        onClearFilters={() => setParams(viewToParams(DEFAULT_VIEW))}
      />
      <Show when={editing()} keyed>
        {(ed) => (
          <EditorDialog
            task={ed.task}
            onClose={() => setEditing(undefined)}
            onDelete={(task) => {
              setEditing(undefined);
              void actions.remove(list.find(task.id) ?? task);
            }}
            onSaved={(task) => {
              const isNew = !ed.task;
              setEditing(undefined);
              if (isNew) onCreated(task);
              else list.apply(ChangeType.UPDATED, task);
              tags?.notice(task.tags);
              toasts.show({ message: isNew ? `Added “${task.title}”` : `Saved “${task.title}”` });
              setSelectedId(task.id);
            }}
          />
        )}
      </Show>
    </section>
  );
}
