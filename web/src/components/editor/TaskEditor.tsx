/**
 * The task editor: title, description, priority, tags, due date (calendar, time, zone), recurrence
 * (with a preview of the next dates) and reminders, in one form. Without `task` it creates a task
 * (CreateTask with an idempotency key, so a double submit creates one task); with `task` it sends
 * UpdateTask with an update mask of exactly the changed fields and the task's etag. A stale etag
 * (ABORTED) offers to reload the latest version — dropping or keeping one's own edits — and the
 * server's `google.rpc.BadRequest` field violations appear beside their fields.
 *
 * The core app mounts it inside its dialog container (`role="dialog"`); the editor keeps Tab focus
 * inside its own root, closes on Escape (unless a list box inside handled it), saves on Ctrl/⌘+Enter
 * and gives focus back to what had it before. Lazy-loadable: `lazy(() => import("…/TaskEditor"))`.
 */

import { Code } from "@connectrpc/connect";
import type { Task } from "@todo/gen/todo/task/v1/task_pb";
import { TaskService } from "@todo/gen/todo/task/v1/task_service_pb";
import { createMemo, createSignal, createUniqueId, For, type JSX, onCleanup, onMount, Show } from "solid-js";
import { codeOf, errorMessage, fieldViolations } from "../../api/errors";
import { useClient } from "../../api/transport";
import { PRIORITIES } from "../../lib/format";
import { DatePicker, type DueValue } from "./DatePicker";
import { RecurrenceEditor } from "./RecurrenceEditor";
import { ReminderEditor } from "./ReminderEditor";
import { TagInput } from "./TagInput";
import {
  applyFields,
  draftFromTask,
  draftProblems,
  dueMs,
  type FieldKey,
  fieldKeyOf,
  type TaskDraft,
  taskFromDraft,
  updateMask,
} from "./task-draft";
import { defaultTimeZone } from "./zoned-time";
import "./editor.css";

/** Props of {@link TaskEditor}. */
export interface TaskEditorProps {
  /** The task to edit; omitted to create a new one. */
  task?: Task;
  /** Close without saving (Cancel, ×, Escape). */
  onClose(): void;
  /** The task as the server returned it after CreateTask/UpdateTask. */
  onSaved(task: Task): void;
  /** Deletes the task being edited (the footer offers it when given, for an existing task). */
  onDelete?(): void;
  /** Milliseconds before the recurrence preview is fetched (tests set 0). */
  previewDebounceMs?: number;
}

const FOCUSABLE =
  'a[href], button:not([disabled]), input:not([disabled]), select:not([disabled]), textarea:not([disabled]), [tabindex]:not([tabindex="-1"])';

/** Which form keys a change to a draft field affects (to clear the server's errors about them). */
const KEYS_OF: Partial<Record<keyof TaskDraft, (key: FieldKey) => boolean>> = {
  title: (k) => k === "title",
  description: (k) => k === "description",
  priority: (k) => k === "priority",
  tags: (k) => k === "tags",
  dueDate: (k) => k === "due" || k === "recurrence" || k.startsWith("reminders"),
  dueTime: (k) => k === "due",
  timeZone: (k) => k === "timeZone" || k === "due",
  recurrence: (k) => k === "recurrence",
  reminders: (k) => k.startsWith("reminders"),
};

/** The editor. See the module comment. */
export function TaskEditor(props: TaskEditorProps): JSX.Element {
  const tasks = useClient(TaskService);
  const zone = defaultTimeZone();
  const ids = {
    heading: createUniqueId(),
    title: createUniqueId(),
    desc: createUniqueId(),
    error: createUniqueId(),
  };
  const requestId = crypto.randomUUID();

  const [base, setBase] = createSignal<Task | undefined>(props.task);
  const [initial, setInitial] = createSignal<TaskDraft>(draftFromTask(props.task, zone));
  const [draft, setDraft] = createSignal<TaskDraft>(initial());
  const [serverErrors, setServerErrors] = createSignal<Record<FieldKey, string>>({});
  const [formError, setFormError] = createSignal<string>();
  const [conflict, setConflict] = createSignal(false);
  const [saving, setSaving] = createSignal(false);
  const [reloading, setReloading] = createSignal(false);
  const [submitted, setSubmitted] = createSignal(false);

  const editing = () => base() !== undefined;
  const problems = createMemo(() => draftProblems(draft()));
  const errorFor = (key: FieldKey): string | undefined =>
    serverErrors()[key] ?? (submitted() ? problems()[key] : undefined);

  const update = (patch: Partial<TaskDraft>) => {
    setDraft({ ...draft(), ...patch });
    const touched = Object.keys(patch).map((k) => KEYS_OF[k as keyof TaskDraft]);
    const left = Object.entries(serverErrors()).filter(([k]) => !touched.some((t) => t?.(k)));
    if (left.length !== Object.keys(serverErrors()).length) setServerErrors(Object.fromEntries(left));
  };

  let root: HTMLDivElement | undefined;
  let titleInput: HTMLInputElement | undefined;
  const previouslyFocused =
    typeof document !== "undefined" ? (document.activeElement as HTMLElement | null) : null;
  onMount(() => titleInput?.focus());
  onCleanup(() => {
    if (previouslyFocused?.isConnected) previouslyFocused.focus();
  });

  const focusFirstError = () => {
    queueMicrotask(() =>
      root
        ?.querySelector<HTMLElement>('[aria-invalid="true"], .te-invalid input, .te-invalid select')
        ?.focus(),
    );
  };

  const showServerError = (err: unknown) => {
    if (codeOf(err) === Code.Aborted) {
      setConflict(true);
      return;
    }
    const violations = fieldViolations(err);
    if (codeOf(err) === Code.InvalidArgument && violations.length > 0) {
      const byKey: Record<FieldKey, string> = {};
      const rest: string[] = [];
      for (const v of violations) {
        const key = fieldKeyOf(v.field);
        const text = v.description.charAt(0).toUpperCase() + v.description.slice(1);
        if (key === "form") rest.push(`${v.field}: ${v.description}`);
        else byKey[key] = byKey[key] ? `${byKey[key]} ${text}` : text;
      }
      setServerErrors(byKey);
      setFormError(
        rest.length > 0 ? rest.join("; ") : "Some fields need a look — see the messages beside them.",
      );
      focusFirstError();
      return;
    }
    setFormError(errorMessage(err));
  };

  const save = async (e?: Event) => {
    e?.preventDefault();
    if (saving()) return;
    setSubmitted(true);
    setFormError(undefined);
    if (Object.keys(problems()).length > 0) {
      setFormError("Some fields need a look — see the messages beside them.");
      focusFirstError();
      return;
    }
    const current = base();
    setSaving(true);
    try {
      if (current) {
        const paths = updateMask(initial(), draft());
        if (paths.length === 0) {
          props.onClose();
          return;
        }
        const res = await tasks.updateTask({
          task: taskFromDraft(draft(), { id: current.id, etag: current.etag }),
          updateMask: { paths },
        });
        if (res.task) props.onSaved(res.task);
      } else {
        const res = await tasks.createTask({ task: taskFromDraft(draft()), requestId });
        if (res.task) props.onSaved(res.task);
      }
    } catch (err) {
      showServerError(err);
    } finally {
      setSaving(false);
    }
  };

  /** Loads the latest version after a conflict; `keepMine` re-applies this form's changes on top. */
  const reload = async (keepMine: boolean) => {
    const current = base();
    if (!current) return;
    setReloading(true);
    try {
      const res = await tasks.getTask({ id: current.id });
      if (!res.task) return;
      const fresh = draftFromTask(res.task, zone);
      const mine = updateMask(initial(), draft());
      setBase(res.task);
      setInitial(fresh);
      setDraft(keepMine ? applyFields(fresh, draft(), mine) : fresh);
      setConflict(false);
      setServerErrors({});
      setFormError(undefined);
    } catch (err) {
      setFormError(errorMessage(err));
    } finally {
      setReloading(false);
    }
  };

  const onKeyDown = (e: KeyboardEvent) => {
    if (e.key === "Escape" && !e.defaultPrevented) {
      e.preventDefault();
      props.onClose();
      return;
    }
    if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) {
      e.preventDefault();
      void save();
      return;
    }
    if (e.key !== "Tab" || !root) return;
    const items = Array.from(root.querySelectorAll<HTMLElement>(FOCUSABLE)).filter(
      (el) => !el.closest("[hidden]"),
    );
    const first = items[0];
    const last = items[items.length - 1];
    if (!first || !last) return;
    const active = document.activeElement;
    if (e.shiftKey && (active === first || !root.contains(active))) {
      e.preventDefault();
      last.focus();
    } else if (!e.shiftKey && active === last) {
      e.preventDefault();
      first.focus();
    }
  };

  const due = (): DueValue => ({ date: draft().dueDate, time: draft().dueTime, timeZone: draft().timeZone });

  return (
    <div class="task-editor" ref={root}>
      <form class="te-form" aria-labelledby={ids.heading} noValidate onSubmit={save} onKeyDown={onKeyDown}>
        <header class="te-head">
          <h2 id={ids.heading}>{editing() ? "Edit task" : "New task"}</h2>
          <button
            type="button"
            class="te-icon-btn"
            aria-label="Close"
            title="Close (Esc)"
            onClick={() => props.onClose()}
          >
            ×
          </button>
        </header>

        <div class="te-body">
          <Show when={conflict()}>
            <div class="te-banner te-banner-warn" role="alert">
              <p>This task was changed elsewhere since you opened it, so your changes were not saved.</p>
              <div class="te-inline te-wrap">
                <button
                  type="button"
                  class="te-btn"
                  disabled={reloading()}
                  onClick={() => void reload(false)}
                >
                  Reload
                </button>
                <button
                  type="button"
                  class="te-btn te-btn-ghost"
                  disabled={reloading()}
                  onClick={() => void reload(true)}
                >
                  Reload and keep my changes
                </button>
              </div>
            </div>
          </Show>
          <Show when={formError() && !conflict()}>
            <p id={ids.error} class="te-banner te-banner-error" role="alert">
              {formError()}
            </p>
          </Show>

          <div class="te-stack">
            <div class="te-field">
              <label for={ids.title}>Title</label>
              <input
                id={ids.title}
                ref={titleInput}
                class="te-title"
                type="text"
                required
                maxLength={500}
                autocomplete="off"
                placeholder="What needs doing?"
                value={draft().title}
                aria-invalid={errorFor("title") ? true : undefined}
                aria-describedby={errorFor("title") ? `${ids.title}-err` : undefined}
                onInput={(e) => update({ title: e.currentTarget.value })}
              />
              <Show when={errorFor("title")}>
                <p id={`${ids.title}-err`} class="te-error">
                  {errorFor("title")}
                </p>
              </Show>
            </div>

            <div class="te-field">
              <label for={ids.desc}>Description</label>
              <textarea
                id={ids.desc}
                rows={3}
                maxLength={10000}
                placeholder="Notes, links, details"
                value={draft().description}
                aria-invalid={errorFor("description") ? true : undefined}
                onInput={(e) => update({ description: e.currentTarget.value })}
              />
              <Show when={errorFor("description")}>
                <p class="te-error">{errorFor("description")}</p>
              </Show>
            </div>

            <div class="te-pair">
              <fieldset class="te-fieldset te-priority">
                <legend>Priority</legend>
                <div class="te-chips">
                  <For each={[...PRIORITIES].reverse()}>
                    {(p) => (
                      <label class={`te-prio te-prio-${p.key}`}>
                        <input
                          type="radio"
                          name={`${ids.heading}-priority`}
                          value={String(p.value)}
                          checked={draft().priority === p.value}
                          onChange={() => update({ priority: p.value })}
                        />
                        <span class="te-prio-flag" aria-hidden="true" />
                        <span>{p.label}</span>
                      </label>
                    )}
                  </For>
                </div>
                <Show when={errorFor("priority")}>
                  <p class="te-error">{errorFor("priority")}</p>
                </Show>
              </fieldset>

              <TagInput value={draft().tags} onChange={(tags) => update({ tags })} error={errorFor("tags")} />
            </div>
            <DatePicker
              value={due()}
              onChange={(v) => update({ dueDate: v.date, dueTime: v.time, timeZone: v.timeZone })}
              error={errorFor("due")}
              zoneError={errorFor("timeZone")}
            />
            <RecurrenceEditor
              value={draft().recurrence}
              onChange={(recurrence) => update({ recurrence })}
              dueDate={draft().dueDate}
              dueMs={dueMs(draft())}
              timeZone={draft().timeZone}
              error={errorFor("recurrence")}
              debounceMs={props.previewDebounceMs}
            />
            <ReminderEditor
              value={draft().reminders}
              onChange={(reminders) => update({ reminders })}
              dueDate={draft().dueDate}
              timeZone={draft().timeZone}
              errorFor={errorFor}
            />
          </div>
        </div>

        <footer class="te-foot">
          <Show when={props.task && props.onDelete}>
            <button type="button" class="te-btn te-btn-danger" onClick={() => props.onDelete?.()}>
              Delete
            </button>
          </Show>
          <button type="button" class="te-btn te-btn-ghost" onClick={() => props.onClose()}>
            Cancel
          </button>
          <button
            type="submit"
            class="te-btn te-btn-primary"
            disabled={saving() || conflict()}
            aria-busy={saving()}
          >
            {saving() ? "Saving…" : "Save"}
          </button>
        </footer>
      </form>
    </div>
  );
}

export default TaskEditor;
