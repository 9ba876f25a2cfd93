/**
 * Quick add: one line ("Add a task") that understands "Pay rent every month on the 1st at 9am
 * #home !high", with a live preview of what it understood — due, recurrence, priority, tags,
 * reminders — before Enter creates the task. The parser (chrono-node inside) loads on first focus,
 * not with the page. Each submit has its own request id, kept for retries of the same text, so a
 * retried or doubled submit never makes two tasks. The box clears at once; if the call fails the
 * text comes back with the reason.
 */
import { Priority, type RecurrenceAnchor, type Task } from "@todo/gen/todo/task/v1/task_pb";
import { TaskService } from "@todo/gen/todo/task/v1/task_service_pb";
import { createMemo, createSignal, For, type JSX, Show } from "solid-js";
import { errorMessage } from "../api/errors";
import { useClient } from "../api/transport";
import { formatBeforeDue, formatDue, formatFull, priorityInfo } from "../lib/format";
import { useNow } from "../state/clock";
import { describeRecurrence, loadQuickAddParser } from "../state/language";
import {
  hasExtras,
  newRequestId,
  type QuickAddParsed,
  type QuickAddParseFn,
  toNewTask,
} from "../state/quick-add";
import { BellIcon, CalendarIcon, FlagIcon, PlusIcon, RepeatIcon } from "./Icons";

/** Props of {@link QuickAdd}. */
export interface QuickAddProps {
  /** The account's time zone: relative words ("tomorrow") are read in it. */
  readonly timeZone: string;
  onCreated(task: Task): void;
  /** Opens the full editor for a new task. */
  onOpenEditor?(): void;
  readonly ref?: (el: HTMLInputElement) => void;
  /** Loads the parser (default: `@todo/language`, lazily). */
  loadParser?(): Promise<QuickAddParseFn>;
  /** Creates the task (default: TaskService.CreateTask on the app's transport). */
  createTask?(task: Task, requestId: string): Promise<Task>;
}

interface Chip {
  readonly kind: "due" | "recurrence" | "priority" | "tag" | "reminder" | "zone";
  readonly text: string;
  readonly title?: string;
  readonly className?: string;
}

/** The chips of the preview for a parse. */
export function previewChips(
  p: QuickAddParsed,
  now: Date,
  describe: (rrule: string, anchor?: RecurrenceAnchor) => string,
): Chip[] {
  const chips: Chip[] = [];
  if (p.due) {
    const d = formatDue(p.due.at, now, p.timeZone);
    chips.push({
      kind: "due",
      text: d.text,
      title: formatFull(p.due.at, p.timeZone, p.due.hasTime),
      className: d.overdue ? "chip--overdue" : "",
    });
  }
  if (p.recurrence) {
    chips.push({
      kind: "recurrence",
      text: describe(p.recurrence.rrule, p.recurrence.anchor),
      title: p.recurrence.rrule,
    });
  }
  if (p.priority !== undefined && p.priority !== Priority.UNSPECIFIED) {
    const info = priorityInfo(p.priority);
    chips.push({ kind: "priority", text: info.label, className: `chip--priority-${info.key}` });
  }
  for (const tag of p.tags) chips.push({ kind: "tag", text: `#${tag}` });
  for (const r of p.reminders) {
    chips.push({
      kind: "reminder",
      text:
        "at" in r
          ? `remind ${formatDue(r.at, now, p.timeZone).text}`
          : `remind ${formatBeforeDue(r.beforeDueMs)}`,
      ...("at" in r ? { title: formatFull(r.at, p.timeZone) } : {}),
    });
  }
  return chips;
}

const CHIP_LABEL: Record<Chip["kind"], string> = {
  due: "Due",
  recurrence: "Repeats",
  priority: "Priority",
  tag: "Tag",
  reminder: "Reminder",
  zone: "Time zone",
};

/** The quick-add box. */
export function QuickAdd(props: QuickAddProps): JSX.Element {
  const client = props.createTask ? undefined : useClient(TaskService);
  const create =
    props.createTask ??
    (async (task: Task, requestId: string) => {
      const res = await (client as NonNullable<typeof client>).createTask({ task, requestId });
      if (!res.task) throw new Error("The server returned no task.");
      return res.task;
    });
  const now = useNow();
  const [text, setText] = createSignal("");
  const [parser, setParser] = createSignal<QuickAddParseFn>();
  const [error, setError] = createSignal<string>();
  const [loadError, setLoadError] = createSignal<string>();
  let input!: HTMLInputElement;
  let loading: Promise<QuickAddParseFn | undefined> | undefined;
  // The request id of the text last sent: kept while the same text is retried.
  let attempt: { text: string; id: string } | undefined;

  const load = () => {
    loading ??= (props.loadParser ?? loadQuickAddParser)()
      .then((fn) => {
        setParser(() => fn);
        return fn;
      })
      .catch((err: unknown) => {
        setLoadError(
          `The date parser could not be loaded (${errorMessage(err)}); the text is added as it is.`,
        );
        loading = undefined;
        return undefined;
      });
    return loading;
  };

  const parse = (fn: QuickAddParseFn | undefined, value: string): QuickAddParsed | undefined => {
    if (!fn || !value.trim()) return undefined;
    try {
      return fn(value, { now: new Date(), timeZone: props.timeZone });
    } catch {
      return undefined;
    }
  };
  const parsed = createMemo(() => parse(parser(), text()));
  const chips = createMemo(() => {
    const p = parsed();
    return p && hasExtras(p) ? previewChips(p, now(), describeRecurrence) : [];
  });

  const submit = async () => {
    const value = input.value;
    if (!value.trim()) return;
    const fn = parser() ?? (await load());
    const p = parse(fn, value);
    const task = p
      ? toNewTask(p, value)
      : toNewTask({ title: value, tags: [], timeZone: props.timeZone, reminders: [], spans: [] }, value);
    if (attempt?.text !== value) attempt = { text: value, id: newRequestId() };
    const requestId = attempt.id;
    setError(undefined);
    input.value = "";
    setText("");
    try {
      const created = await create(task, requestId);
      if (attempt?.id === requestId) attempt = undefined;
      props.onCreated(created);
    } catch (err) {
      if (!input.value) {
        input.value = value;
        setText(value);
      }
      setError(`Couldn't add the task: ${errorMessage(err)}`);
      input.focus();
    }
  };

  return (
    <form
      class="quick-add"
      onSubmit={(e) => {
        e.preventDefault();
        void submit();
      }}
    >
      <div class="quick-add__row">
        <PlusIcon class="quick-add__icon" size={18} />
        <input
          ref={(el) => {
            input = el;
            props.ref?.(el);
          }}
          class="quick-add__input"
          type="text"
          aria-label="Add a task"
          placeholder="Add a task — e.g. Pay rent every month on the 1st at 9am #home !high"
          autocomplete="off"
          enterkeyhint="done"
          aria-describedby="quick-add-preview"
          aria-invalid={error() ? "true" : "false"}
          onFocus={() => void load()}
          onInput={(e) => {
            setText(e.currentTarget.value);
            setError(undefined);
            void load();
          }}
          onKeyDown={(e) => {
            if (e.key === "Escape") {
              if (input.value) {
                input.value = "";
                setText("");
              } else input.blur();
            }
          }}
        />
        <button type="submit" class="button button--primary quick-add__submit" disabled={!text().trim()}>
          Add
        </button>
        <Show when={props.onOpenEditor}>
          <button
            type="button"
            class="button button--quiet quick-add__more"
            title="Add with all details"
            onClick={() => props.onOpenEditor?.()}
          >
            Details…
          </button>
        </Show>
      </div>
      <div id="quick-add-preview" class="quick-add__preview" aria-live="polite">
        <Show when={chips().length > 0}>
          <span class="quick-add__understood">
            <span class="visually-hidden">Understood: </span>
            <span class="quick-add__title" title="Title">
              {parsed()?.title || "(no title)"}
            </span>
          </span>
          <ul class="chips" aria-label="What quick add understood">
            <For each={chips()}>
              {(c) => (
                <li class={`chip chip--${c.kind} ${c.className ?? ""}`} title={c.title}>
                  <Show when={c.kind === "due"}>
                    <CalendarIcon size={13} />
                  </Show>
                  <Show when={c.kind === "recurrence"}>
                    <RepeatIcon size={13} />
                  </Show>
                  <Show when={c.kind === "priority"}>
                    <FlagIcon size={13} />
                  </Show>
                  <Show when={c.kind === "reminder"}>
                    <BellIcon size={13} />
                  </Show>
                  <span class="visually-hidden">{CHIP_LABEL[c.kind]}: </span>
                  {c.text}
                </li>
              )}
            </For>
          </ul>
        </Show>
      </div>
      <Show when={error() || loadError()}>
        <p class="field-error" role="alert">
          {error() ?? loadError()}
        </p>
      </Show>
    </form>
  );
}
