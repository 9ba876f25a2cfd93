/**
 * How the scheduler learns about tasks: it consumes `task-events` (each event carries the owner and
 * the full snapshot) and keeps one durable job per (task, reminder, occurrence), in the same
 * transaction that records the event as processed:
 *
 * - an open task: each reminder's current occurrence is scheduled as job
 *   `reminder/<task_id>/<reminder_id>`; a relative reminder's occurrence moves with the due time
 *   (the job is replaced), a removed reminder's job is cancelled, and an occurrence that already
 *   fired is never scheduled again;
 * - **an occurrence already in the past when it was set is not scheduled**: a reminder whose moment
 *   lies before the change's time (the task's `update_time`, else the event's time; say, a task created with a reminder for yesterday, or reopened
 *   after its reminder time) would only produce a stale notification. One that was in the future
 *   when set but has passed by the time the event is processed (the scheduler was down) is
 *   scheduled and fires at once;
 * - a completed or deleted task: all its reminder jobs are cancelled (a reopened task is an open
 *   task again and gets the occurrences still ahead of it);
 * - the completion of a recurring task: the next instance is planned once per completion
 *   (`scheduler.recurrences`, keyed by the completion's request id — a redelivered or copied event
 *   plans nothing more, a completion after a reopen plans anew, since ReopenTask withdrew the
 *   instance of the first), and job `next/<task_id>` creates it through TaskService (see
 *   `scheduler-jobs.ts`). The plan is written in this transaction and the call happens after commit,
 *   outside any transaction, with an idempotent `request_id`, retried until TaskService answers.
 *
 * Events older than what is stored (by the etag's version, else `update_time`) change no reminder; a
 * deleted task leaves a tombstone so nothing late revives it — only a newer `created` event does
 * (UndeleteTask puts a task back with a version above its deletion's).
 */
import { timestampDate } from "@bufbuild/protobuf/wkt";
import { decodeTaskEvent, etagVersion, type TaskChange } from "@todo/events";
import { type Task, TaskStatus } from "@todo/gen/todo/task/v1/task_pb";
import {
  type CloudEvent,
  createLogger,
  type EventHandler,
  type Logger,
  type Sql,
  type TxSql,
} from "@todo/platform";
import { idempotentHandler } from "@todo/platform/events";
import type { JobScheduler } from "@todo/platform/jobs";
import { nextInstanceRequestId, RecurrenceError } from "@todo/recurrence";
import { encodeNextInstancePlan, nextInstanceJobName, planNextInstance } from "./next-instance";
import { reminderJobName, reminderJobPrefix, reminderOccurrences, reminderPayload } from "./reminders";
import { SCHEDULER_SCHEMA } from "./store";

/** The consumer name under which processed task events are recorded. */
export const TASK_EVENTS_CONSUMER = "scheduler.task-events";

/** What the handler needs. */
export interface TaskEventsHandlerDeps {
  readonly sql: Sql;
  /** The scheduler's jobs (on `scheduler.jobs`, the same database as `sql`). */
  readonly jobs: JobScheduler;
  readonly logger?: Logger;
}

interface StoredTask {
  user_id: string;
  deleted: boolean;
  version: string | null;
  update_time: Date;
}

interface StoredReminder {
  reminder_id: string;
  occurrence_key: string;
  fired: boolean;
  task_title: string;
  due_time: Date | null;
  time_zone: string;
}

/** Called with the due time of every job a transaction schedules, to wake the scheduler after commit. */
type NoteScheduled = (dueTime: Date) => void;

class TaskEventApplier {
  constructor(
    private readonly jobs: JobScheduler,
    private readonly log: Logger,
  ) {}

  async apply(tx: TxSql, event: CloudEvent, note: NoteScheduled): Promise<void> {
    const snapshot = decodeTaskEvent(event);
    if (!snapshot) return;
    const { userId, task, kind } = snapshot;
    // One task's events serialise here, whatever delivers them. Issued together (postgres.js
    // pipelines them; PostgreSQL runs them in order, so the read happens under the lock).
    const [, [stored]] = await Promise.all([
      tx`select pg_advisory_xact_lock(hashtext('scheduler.task'), hashtext(${task.id}))`,
      tx<StoredTask[]>`
        select user_id, deleted, version::text as version, update_time
        from scheduler.tasks where task_id = ${task.id}`,
    ]);
    const version = etagVersion(task.etag);
    const updateTime = task.updateTime ? timestampDate(task.updateTime) : event.time;
    if (stored && stored.user_id !== userId) return;
    const revived = kind === "created" && isNewer(version, updateTime, stored ?? NOTHING_STORED);
    if (stored?.deleted && !revived) return;

    // A completion plans the next instance even when a later event overtook it: it did happen.
    if (kind === "completed") await this.planNext(tx, userId, task, event, note);

    const deleted = kind === "deleted";
    if (stored && !deleted && !isNewer(version, updateTime, stored)) return;
    // Sent now and awaited with what follows, so it travels with the next statement (postgres.js
    // pipelines them; the reminder statements do not depend on it).
    const recorded = tx`
      insert into scheduler.tasks (task_id, user_id, version, update_time, deleted)
      values (${task.id}, ${userId}, ${version?.toString() ?? null}::bigint, ${updateTime}, ${deleted})
      on conflict (task_id) do update set version = excluded.version, update_time = excluded.update_time,
        deleted = excluded.deleted`.execute();
    await Promise.all([recorded, this.afterRecorded(tx, userId, task, kind, updateTime, note)]);
  }

  /** What follows recording a task's state: its reminder jobs cancelled, dropped or synchronised. */
  private async afterRecorded(
    tx: TxSql,
    userId: string,
    task: Task,
    kind: TaskChange,
    updateTime: Date,
    note: NoteScheduled,
  ): Promise<void> {
    const deleted = kind === "deleted";

    if (deleted) {
      await this.jobs.cancelPrefix(tx, reminderJobPrefix(task.id));
      await tx`delete from scheduler.reminders where task_id = ${task.id}`;
    } else if (task.status === TaskStatus.COMPLETED) {
      await this.jobs.cancelPrefix(tx, reminderJobPrefix(task.id));
      // Fired occurrences stay, so a reopen does not fire them again.
      await tx`delete from scheduler.reminders where task_id = ${task.id} and not fired`;
    } else {
      // "Already past when set" is judged at the change's own time, the task's update_time (what
      // its owner was told), not the event's: the event may be stamped later (a write retried
      // across a database restart), which dropped a reminder set in the future (bun run chaos).
      await this.syncReminders(tx, userId, task, updateTime, note);
    }
  }

  /** Makes the scheduled reminder jobs of open `task` match its reminders. */
  private async syncReminders(
    tx: TxSql,
    userId: string,
    task: Task,
    changeTime: Date,
    note: NoteScheduled,
  ): Promise<void> {
    const desired = reminderOccurrences(task);
    const existing = await tx<StoredReminder[]>`
      select reminder_id, occurrence_key, fired, task_title, due_time, time_zone
      from scheduler.reminders where task_id = ${task.id}`;
    const wanted = new Set(desired.map((d) => d.reminderId));
    const drop = async (reminderId: string) => {
      await this.jobs.cancel(tx, reminderJobName(task.id, reminderId));
      await tx`delete from scheduler.reminders where task_id = ${task.id} and reminder_id = ${reminderId}`;
    };
    for (const row of existing) if (!wanted.has(row.reminder_id)) await drop(row.reminder_id);

    const byId = new Map(existing.map((r) => [r.reminder_id, r]));
    const dueTime = task.dueTime ? timestampDate(task.dueTime) : null;
    for (const occurrence of desired) {
      const row = byId.get(occurrence.reminderId);
      const name = reminderJobName(task.id, occurrence.reminderId);
      if (row && row.occurrence_key === occurrence.occurrenceKey) {
        // The same occurrence: nothing to do once fired or when nothing it shows changed.
        if (row.fired) continue;
        if (
          row.task_title === task.title &&
          row.time_zone === task.timeZone &&
          (row.due_time?.getTime() ?? null) === (dueTime?.getTime() ?? null)
        ) {
          continue;
        }
      } else if (occurrence.fireTime.getTime() < changeTime.getTime()) {
        // A new occurrence that was already past when it was set: not scheduled.
        if (row) await drop(occurrence.reminderId);
        continue;
      }
      await tx`
        insert into scheduler.reminders
          (task_id, reminder_id, user_id, occurrence_key, fire_time, task_title, due_time, time_zone, fired)
        values (${task.id}, ${occurrence.reminderId}, ${userId}, ${occurrence.occurrenceKey},
          ${occurrence.fireTime}, ${task.title}, ${dueTime}, ${task.timeZone}, false)
        on conflict (task_id, reminder_id) do update set occurrence_key = excluded.occurrence_key,
          fire_time = excluded.fire_time, task_title = excluded.task_title, due_time = excluded.due_time,
          time_zone = excluded.time_zone, fired = false`;
      await this.jobs.schedule(tx, name, occurrence.fireTime, reminderPayload(userId, task, occurrence));
      note(occurrence.fireTime);
    }
  }

  /** Plans the next instance of a completed recurring task, once per completion. */
  private async planNext(
    tx: TxSql,
    userId: string,
    task: Task,
    event: CloudEvent,
    note: NoteScheduled,
  ): Promise<void> {
    if (!task.recurrence || task.recurrence.rrule === "") return;
    const completedAt = task.completeTime ? timestampDate(task.completeTime) : event.time;
    const [planned] = await tx`
      select 1 from scheduler.recurrences
      where task_id = ${task.id} and request_id = ${nextInstanceRequestId(task.id, completedAt)}`;
    if (planned) return;
    let plan: ReturnType<typeof planNextInstance>;
    try {
      plan = planNextInstance(userId, task, completedAt);
    } catch (err) {
      // A rule the engine cannot expand will not expand on a retry either.
      if (!(err instanceof RecurrenceError)) throw err;
      this.log.warn("cannot compute the next occurrence; the series ends here", {
        task_id: task.id,
        rrule: task.recurrence.rrule,
        err,
      });
      return;
    }
    if (!plan) return;
    const nextDue = plan.request.task?.dueTime ? timestampDate(plan.request.task.dueTime) : completedAt;
    await tx`
      insert into scheduler.recurrences (task_id, user_id, series_id, request_id, next_due_time)
      values (${task.id}, ${userId}, ${plan.request.seriesId}, ${plan.request.requestId}, ${nextDue})`;
    const now = new Date();
    await this.jobs.schedule(tx, nextInstanceJobName(task.id), now, encodeNextInstancePlan(plan));
    note(now);
  }
}

/** What a task never seen before compares as. */
const NOTHING_STORED: StoredTask = { user_id: "", deleted: false, version: null, update_time: new Date(0) };

/** Whether an event at (version, updateTime) is newer than what is stored. */
function isNewer(version: bigint | undefined, updateTime: Date, stored: StoredTask): boolean {
  if (version !== undefined && stored.version !== null) return version > BigInt(stored.version);
  return updateTime.getTime() > stored.update_time.getTime();
}

/**
 * The `task-events` handler of the scheduler (subscribe it in group `scheduler`). Once the
 * transaction that applied an event commits, it wakes `jobs` for the earliest job it scheduled, so
 * jobs due at once (the next instance of a recurring task) start without waiting for a poll.
 */
export function createTaskEventsHandler(deps: TaskEventsHandlerDeps): EventHandler {
  const applier = new TaskEventApplier(deps.jobs, deps.logger ?? createLogger("scheduler.task-events"));
  return idempotentHandler(
    deps.sql,
    SCHEDULER_SCHEMA,
    TASK_EVENTS_CONSUMER,
    async (tx, e, afterCommit) => {
      let earliest: Date | undefined;
      const note: NoteScheduled = (dueTime) => {
        if (!earliest || dueTime < earliest) earliest = dueTime;
      };
      await applier.apply(tx, e, note);
      if (earliest) {
        const at = earliest;
        afterCommit(() => deps.jobs.wake(at));
      }
    },
    // The scheduler's state is per task (the event's subject): different tasks' events go together.
    { chainOf: (e) => e.subject },
  );
}
