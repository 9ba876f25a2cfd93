/**
 * The scheduler's data in schema `scheduler`: its migrations (tasks it knows, reminder occurrences,
 * recurrence bookkeeping), plus the platform's jobs, outbox and processed-events tables, and the
 * read of the caller's upcoming reminders.
 */
import { migrate, type Sql } from "@todo/platform";
import { ensureOutbox, ensureProcessedEvents } from "@todo/platform/events";
import { ensureJobs } from "@todo/platform/jobs";
import { embedMigrations } from "@todo/platform/migrations-embed" with { type: "macro" };

/** The scheduler's schema (its jobs table, outbox and processed events live there too). */
export const SCHEDULER_SCHEMA = "scheduler";

/** Applies the scheduler migrations, then the jobs, outbox and processed-events tables. */
export async function migrateScheduler(sql: Sql): Promise<number[]> {
  const applied = await migrate(sql, SCHEDULER_SCHEMA, embedMigrations("services/scheduler/migrations"));
  await ensureJobs(sql, SCHEDULER_SCHEMA);
  await ensureOutbox(sql, SCHEDULER_SCHEMA);
  await ensureProcessedEvents(sql, SCHEDULER_SCHEMA);
  return applied;
}

/** An upcoming reminder as stored. */
export interface UpcomingRow {
  task_id: string;
  reminder_id: string;
  fire_time: Date;
  task_title: string;
  due_time: Date | null;
}

/** Where a page of upcoming reminders starts: after this (fire_time, task_id, reminder_id). */
export interface UpcomingCursor {
  readonly fireTime: Date;
  readonly taskId: string;
  readonly reminderId: string;
}

const PREPARED = { prepare: true } as const;

/** Up to `limit` of `userId`'s reminders that have not fired, soonest first, after `cursor`. */
export function listUpcoming(
  sql: Sql,
  userId: string,
  cursor: UpcomingCursor | undefined,
  limit: number,
): Promise<UpcomingRow[]> {
  const columns = "task_id, reminder_id, fire_time, task_title, due_time";
  return cursor
    ? sql.unsafe<UpcomingRow[]>(
        `select ${columns} from scheduler.reminders
         where user_id = $1 and not fired
           and (fire_time, task_id, reminder_id) > ($2::timestamptz, $3::uuid, $4::text collate "C")
         order by fire_time, task_id, reminder_id limit $5`,
        [userId, cursor.fireTime, cursor.taskId, cursor.reminderId, limit],
        PREPARED,
      )
    : sql.unsafe<UpcomingRow[]>(
        `select ${columns} from scheduler.reminders where user_id = $1 and not fired
         order by fire_time, task_id, reminder_id limit $2`,
        [userId, limit],
        PREPARED,
      );
}
