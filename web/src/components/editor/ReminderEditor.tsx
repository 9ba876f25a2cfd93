/**
 * A task's reminders, up to ten: each either at a date and time (in the task's zone) or N minutes,
 * hours or days before the due time (it moves with the due time). Rows keep the server's reminder
 * id, so an unchanged reminder stays the same reminder.
 */
import { createUniqueId, Index, type JSX, Show } from "solid-js";
import { type ReminderDraft, type ReminderUnit, reminderKey } from "./task-draft";
import { addDays, instantToWallClock } from "./zoned-time";

/** Props of {@link ReminderEditor}. */
export interface ReminderEditorProps {
  value: readonly ReminderDraft[];
  onChange(value: ReminderDraft[]): void;
  /** The due date, empty when none ("before" reminders need one). */
  dueDate: string;
  timeZone: string;
  /** The error shown beside row `i` (`reminders.<i>`) or the whole list (`reminders`). */
  errorFor(key: string): string | undefined;
  now?: () => number;
}

/** The most reminders a task may have (the API's limit). */
export const MAX_REMINDERS = 10;

const UNITS: ReadonlyArray<[ReminderUnit, string, string]> = [
  ["minutes", "minute", "minutes"],
  ["hours", "hour", "hours"],
  ["days", "day", "days"],
];

/** The reminders fieldset. */
export function ReminderEditor(props: ReminderEditorProps): JSX.Element {
  const id = createUniqueId();
  const replace = (i: number, r: ReminderDraft) =>
    props.onChange(props.value.map((x, j) => (j === i ? r : x)));
  const remove = (i: number) => props.onChange(props.value.filter((_, j) => j !== i));
  const atDefault = (): { date: string; time: string } => {
    if (props.dueDate) return { date: props.dueDate, time: "09:00" };
    const now = props.now?.() ?? Date.now();
    const wc = instantToWallClock(now + 3_600_000, props.timeZone);
    return { date: wc.time < "23:00" ? wc.date : addDays(wc.date, 1), time: `${wc.time.slice(0, 2)}:00` };
  };
  const add = () => {
    const key = reminderKey();
    const row: ReminderDraft = props.dueDate
      ? { key, id: "", kind: "before", amount: 30, unit: "minutes" }
      : { key, id: "", kind: "at", ...atDefault() };
    props.onChange([...props.value, row]);
  };

  return (
    <fieldset class="te-fieldset te-reminders">
      <legend>Reminders</legend>
      <Show when={props.value.length === 0}>
        <p class="te-muted">No reminders.</p>
      </Show>
      <ul class="te-reminder-list">
        <Index each={props.value}>
          {(r, i) => {
            const n = i + 1;
            const err = () => props.errorFor(`reminders.${i}`);
            return (
              <li class="te-reminder" classList={{ "te-invalid": !!err() }}>
                <div class="te-inline te-wrap">
                  <select
                    aria-label={`Reminder ${n} kind`}
                    value={r().kind}
                    aria-describedby={err() ? `${id}-err-${i}` : undefined}
                    onChange={(e) => {
                      const cur = r();
                      replace(
                        i,
                        e.currentTarget.value === "at"
                          ? { key: cur.key, id: cur.id, kind: "at", ...atDefault() }
                          : { key: cur.key, id: cur.id, kind: "before", amount: 30, unit: "minutes" },
                      );
                    }}
                  >
                    <option value="before">Before due</option>
                    <option value="at">At a time</option>
                  </select>
                  <Show
                    when={
                      r().kind === "before" ? (r() as Extract<ReminderDraft, { kind: "before" }>) : undefined
                    }
                    fallback={
                      <>
                        <input
                          type="date"
                          aria-label={`Reminder ${n} date`}
                          value={(r() as Extract<ReminderDraft, { kind: "at" }>).date ?? ""}
                          onChange={(e) =>
                            replace(i, {
                              ...(r() as Extract<ReminderDraft, { kind: "at" }>),
                              date: e.currentTarget.value,
                            })
                          }
                        />
                        <input
                          type="time"
                          aria-label={`Reminder ${n} time`}
                          value={(r() as Extract<ReminderDraft, { kind: "at" }>).time ?? ""}
                          onChange={(e) =>
                            replace(i, {
                              ...(r() as Extract<ReminderDraft, { kind: "at" }>),
                              time: e.currentTarget.value,
                            })
                          }
                        />
                      </>
                    }
                  >
                    {(before) => (
                      <>
                        <input
                          class="te-num"
                          type="number"
                          min="0"
                          inputMode="numeric"
                          aria-label={`Reminder ${n} amount`}
                          value={before().amount}
                          onInput={(e) => replace(i, { ...before(), amount: e.currentTarget.valueAsNumber })}
                        />
                        <select
                          aria-label={`Reminder ${n} unit`}
                          value={before().unit}
                          onChange={(e) =>
                            replace(i, { ...before(), unit: e.currentTarget.value as ReminderUnit })
                          }
                        >
                          {UNITS.map(([u, one, many]) => (
                            <option value={u}>{before().amount === 1 ? one : many}</option>
                          ))}
                        </select>
                        <span>before</span>
                      </>
                    )}
                  </Show>
                  <button
                    type="button"
                    class="te-icon-btn te-remove"
                    aria-label={`Remove reminder ${n}`}
                    title="Remove reminder"
                    onClick={() => remove(i)}
                  >
                    ×
                  </button>
                </div>
                <Show when={err()}>
                  <p id={`${id}-err-${i}`} class="te-error">
                    {err()}
                  </p>
                </Show>
              </li>
            );
          }}
        </Index>
      </ul>
      <Show when={props.errorFor("reminders")}>
        <p class="te-error">{props.errorFor("reminders")}</p>
      </Show>
      <button
        type="button"
        class="te-btn te-btn-ghost"
        disabled={props.value.length >= MAX_REMINDERS}
        onClick={add}
      >
        + Add reminder
      </button>
      <Show when={props.value.length >= MAX_REMINDERS}>
        <p class="te-muted">A task can have at most {MAX_REMINDERS} reminders.</p>
      </Show>
    </fieldset>
  );
}
