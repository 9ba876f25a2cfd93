/**
 * One task in the list: a round checkbox ringed in its priority's colour, the title (a click opens
 * the editor), the first line of the description, and a line of facts — the due time in words
 * (red when overdue), the recurrence in words, a bell when reminders are set, tag chips that filter
 * by their tag — a colour-coded priority badge, and a "More actions" menu (Edit, Delete).
 */
import { timestampDate } from "@bufbuild/protobuf/wkt";
import { type RecurrenceAnchor, type Task, TaskStatus } from "@todo/gen/todo/task/v1/task_pb";
import { createMemo, For, type JSX, Show } from "solid-js";
import { formatBeforeDue, formatDue, formatFull, priorityInfo } from "../lib/format";
import { BellIcon, CalendarIcon, RepeatIcon } from "./Icons";
import { RowMenu } from "./RowMenu";

/** Props of {@link TaskRow}. */
export interface TaskRowProps {
  readonly task: Task;
  readonly now: Date;
  /** The account's time zone; a task's own zone wins when it has one. */
  readonly timeZone: string;
  readonly selected?: boolean;
  /** A call for this task is in flight. */
  readonly pending?: boolean;
  /** Words for an RRULE. */
  describeRecurrence(rrule: string, anchor?: RecurrenceAnchor): string;
  /** A tag's colour, if the catalogue knows it. */
  tagColor?(name: string): string | undefined;
  onToggle(task: Task): void;
  onOpen(task: Task): void;
  onTag(name: string): void;
  onSelect?(task: Task): void;
  /** Deletes the task (the row's menu offers it when given). */
  onDelete?(task: Task): void;
}

function reminderText(task: Task, timeZone: string): string {
  return task.reminders
    .map((r) => {
      if (r.trigger.case === "at") return `at ${formatFull(timestampDate(r.trigger.value), timeZone)}`;
      if (r.trigger.case === "beforeDue") {
        const d = r.trigger.value;
        return formatBeforeDue(Number(d.seconds) * 1000 + Math.floor(d.nanos / 1e6));
      }
      return "";
    })
    .filter(Boolean)
    .join(", ");
}

/** A task row (an `<li>`; put it in a list). */
export function TaskRow(props: TaskRowProps): JSX.Element {
  const zone = () => props.task.timeZone || props.timeZone;
  const completed = () => props.task.status === TaskStatus.COMPLETED;
  const priority = createMemo(() => priorityInfo(props.task.priority));
  const due = createMemo(() =>
    props.task.dueTime ? formatDue(timestampDate(props.task.dueTime), props.now, zone()) : undefined,
  );
  const recurrence = () => props.task.recurrence?.rrule;
  const description = () => props.task.description.split("\n").find((l) => l.trim()) ?? "";
  const reminders = () => props.task.reminders.length;

  return (
    <li
      class="task-row"
      classList={{
        "task-row--selected": props.selected,
        "task-row--completed": completed(),
        "task-row--pending": props.pending,
      }}
      data-task-id={props.task.id}
      tabIndex={props.selected ? 0 : -1}
      aria-current={props.selected ? "true" : undefined}
      onFocus={(e) => {
        if (e.target === e.currentTarget) props.onSelect?.(props.task);
      }}
      onClick={() => props.onSelect?.(props.task)}
      onKeyDown={(e) => {
        // Enter on the focused row opens it, like a click on its title.
        if (e.key === "Enter" && e.target === e.currentTarget) {
          e.preventDefault();
          props.onOpen(props.task);
        }
      }}
    >
      <input
        type="checkbox"
        class={`task-check task-check--${priority().key}`}
        checked={completed()}
        aria-label={`Complete ${props.task.title}`}
        aria-disabled={props.pending ? "true" : undefined}
        onClick={(e) => e.stopPropagation()}
        onChange={(e) => {
          // The store decides the state; keep the box in step with it, not with the click.
          e.currentTarget.checked = completed();
          props.onToggle(props.task);
        }}
      />
      <div class="task-body">
        <button
          type="button"
          class="task-title"
          onClick={(e) => {
            e.stopPropagation();
            props.onSelect?.(props.task);
            props.onOpen(props.task);
          }}
        >
          {props.task.title}
        </button>
        <Show when={description()}>
          <p class="task-desc">{description()}</p>
        </Show>
        <Show when={due() || recurrence() || reminders() || props.task.tags.length}>
          <div class="task-meta">
            <Show when={due()}>
              {(d) => (
                <span
                  class="task-due"
                  classList={{ "task-due--overdue": d().overdue, "task-due--today": d().today }}
                >
                  <CalendarIcon size={14} />
                  <time
                    datetime={
                      props.task.dueTime ? timestampDate(props.task.dueTime).toISOString() : undefined
                    }
                    title={d().full}
                  >
                    {d().text}
                  </time>
                  <Show when={d().overdue}>
                    <span class="visually-hidden"> (overdue)</span>
                  </Show>
                </span>
              )}
            </Show>
            <Show when={recurrence()}>
              {(rrule) => (
                <span class="task-recurrence" title={rrule()}>
                  <RepeatIcon size={14} />
                  <span>{props.describeRecurrence(rrule(), props.task.recurrence?.anchor)}</span>
                </span>
              )}
            </Show>
            <Show when={reminders() > 0}>
              <span
                class="task-reminder"
                role="img"
                aria-label={`${reminders()} ${reminders() === 1 ? "reminder" : "reminders"}: ${reminderText(props.task, zone())}`}
                title={`Reminders: ${reminderText(props.task, zone())}`}
              >
                <BellIcon size={14} />
                <Show when={reminders() > 1}>
                  <span aria-hidden="true">{reminders()}</span>
                </Show>
              </span>
            </Show>
            <For each={props.task.tags}>
              {(tag) => (
                <button
                  type="button"
                  class="tag-chip"
                  style={props.tagColor?.(tag) ? { "--tag-color": props.tagColor?.(tag) } : undefined}
                  aria-label={`Filter by tag ${tag}`}
                  title={`Show tasks tagged ${tag}`}
                  onClick={(e) => {
                    e.stopPropagation();
                    props.onTag(tag);
                  }}
                >
                  #{tag}
                </button>
              )}
            </For>
          </div>
        </Show>
      </div>
      <Show when={priority().key !== "none"}>
        <span
          class={`priority-badge priority-badge--${priority().key}`}
          title={`Priority: ${priority().label}`}
        >
          <span class="visually-hidden">Priority: </span>
          {priority().label}
        </span>
      </Show>
      <Show when={props.onDelete}>
        {(onDelete) => (
          <RowMenu
            label={`More actions for ${props.task.title}`}
            items={[
              { label: "Edit", run: () => props.onOpen(props.task) },
              { label: "Delete", danger: true, run: () => onDelete()(props.task) },
            ]}
          />
        )}
      </Show>
    </li>
  );
}
