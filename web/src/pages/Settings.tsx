/**
 * The Settings page: the account's time zone (the zone "today" and the dates typed are read in) and
 * the first day of its week (what the assistant's "this week" covers). Saving calls
 * `AuthService.UpdateUser` through the session, which switches to the fresh token the server answers
 * with, so every later call carries the new values. A refused value shows the server's words under
 * its field.
 */
import { createSignal, createUniqueId, For, type JSX, Show } from "solid-js";
import { errorMessage, fieldViolations } from "../api/errors";
import { useSession } from "../api/session";
import { TimeZoneSelect } from "../components/editor/TimeZoneSelect";
import "../components/editor/editor.css";

/** The week starts offered, ISO numbering (1 Monday … 7 Sunday). */
export const WEEK_STARTS: ReadonlyArray<{ readonly value: number; readonly label: string }> = [
  { value: 1, label: "Monday" },
  { value: 2, label: "Tuesday" },
  { value: 3, label: "Wednesday" },
  { value: 4, label: "Thursday" },
  { value: 5, label: "Friday" },
  { value: 6, label: "Saturday" },
  { value: 7, label: "Sunday" },
];

/** The settings page. */
export function SettingsPage(): JSX.Element {
  const session = useSession();
  const id = createUniqueId();
  const [timeZone, setTimeZone] = createSignal(session.timeZone());
  const [weekStart, setWeekStart] = createSignal(session.weekStart());
  const [saving, setSaving] = createSignal(false);
  const [status, setStatus] = createSignal("");
  const [errors, setErrors] = createSignal<{ zone?: string; week?: string; other?: string }>({});
  document.title = "Settings · Todo";

  const save = async (e: Event) => {
    e.preventDefault();
    setSaving(true);
    setStatus("");
    setErrors({});
    try {
      await session.updateProfile({ timeZone: timeZone(), weekStart: weekStart() });
      setStatus("Saved.");
    } catch (err) {
      const fields = new Set(fieldViolations(err).map((v) => v.field));
      setErrors({
        ...(fields.has("user.time_zone") ? { zone: errorMessage(err, "user.time_zone") } : {}),
        ...(fields.has("user.week_start") ? { week: errorMessage(err, "user.week_start") } : {}),
        ...(fields.size === 0 ? { other: errorMessage(err) } : {}),
      });
    } finally {
      setSaving(false);
    }
  };

  return (
    <section class="te-page" aria-labelledby={`${id}-h`}>
      <header class="te-page-head">
        <h1 id={`${id}-h`}>Settings</h1>
      </header>
      <form class="te-settings" onSubmit={save} noValidate>
        <TimeZoneSelect value={timeZone()} onChange={setTimeZone} error={errors().zone} />
        <div class="te-field">
          <label for={`${id}-week`}>Week starts on</label>
          <select
            id={`${id}-week`}
            value={String(weekStart())}
            aria-invalid={errors().week ? true : undefined}
            aria-describedby={errors().week ? `${id}-week-err` : undefined}
            onChange={(e) => setWeekStart(Number(e.currentTarget.value))}
          >
            <For each={WEEK_STARTS}>{(d) => <option value={String(d.value)}>{d.label}</option>}</For>
          </select>
          <Show when={errors().week}>
            <p id={`${id}-week-err`} class="te-error" role="alert">
              {errors().week}
            </p>
          </Show>
        </div>
        <button type="submit" class="te-btn te-btn-primary" disabled={saving()}>
          Save
        </button>
        <Show when={errors().other}>
          <p class="te-error te-error-wide" role="alert">
            {errors().other}
          </p>
        </Show>
      </form>
      <p class="te-sr" role="status">
        {status()}
      </p>
      <Show when={status()}>
        <p aria-hidden="true">{status()}</p>
      </Show>
    </section>
  );
}
