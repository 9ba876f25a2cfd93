/**
 * What the reminders phase says when reminders did not arrive: how many the scheduler marked fired,
 * and where the rest got stuck on their way (the task service's outbox, the scheduler's tables, the
 * dead-letter topics).
 */
import type { Kafka } from "kafkajs";
import type postgres from "postgres";
import type { EventsRun } from "./options";

/** How many of the user's reminder occurrences the scheduler has marked fired. */
export async function scheduledOrFired(sql: postgres.Sql, userId: string): Promise<number> {
  const [row] = await sql<{ n: number }[]>`
    select count(*)::int as n from scheduler.reminders where user_id = ${userId}::uuid and fired`;
  return row?.n ?? 0;
}

/**
 * Where reminders got stuck on their way to the scheduler: the user's tasks with reminders, the task
 * service's unpublished outbox rows, what the scheduler stored, and the dead-letter topics' sizes.
 */
export async function setupDiagnostics(
  run: EventsRun,
  sql: postgres.Sql,
  kafka: Kafka,
  userId: string,
): Promise<string> {
  const [c] = await sql<
    {
      tasks: number;
      outbox: number;
      outbox_task_events: number;
      sched_tasks: number;
      sched_reminders: number;
      fired: number;
      processed: number;
      sched_outbox: number;
    }[]
  >`
    select
      (select count(*)::int from task.tasks where user_id = ${userId}::uuid
         and jsonb_array_length(reminders) > 0) as tasks,
      (select count(*)::int from task.outbox) as outbox,
      (select count(*)::int from task.outbox where topic = 'task-events') as outbox_task_events,
      (select count(*)::int from scheduler.tasks where user_id = ${userId}::uuid) as sched_tasks,
      (select count(*)::int from scheduler.reminders where user_id = ${userId}::uuid) as sched_reminders,
      (select count(*)::int from scheduler.reminders where user_id = ${userId}::uuid and fired) as fired,
      (select count(*)::int from scheduler.processed_events) as processed,
      (select count(*)::int from scheduler.outbox) as sched_outbox`;
  const admin = kafka.admin();
  const dlq: string[] = [];
  try {
    await admin.connect();
    for (const topic of ["task-events.dlq", "reminders.dlq"]) {
      const offsets = await admin.fetchTopicOffsets(run.onBroker(topic)).catch(() => []);
      dlq.push(`${topic} ${offsets.reduce((s, p) => s + Number(p.high), 0)}`);
    }
  } finally {
    await admin.disconnect().catch(() => {});
  }
  return (
    `${c?.tasks} tasks with reminders; task outbox ${c?.outbox} rows (${c?.outbox_task_events} task-events); ` +
    `scheduler: ${c?.sched_tasks} tasks, ${c?.sched_reminders} reminders (${c?.fired} fired), ` +
    `${c?.processed} processed events, outbox ${c?.sched_outbox} rows; dead letters: ${dlq.join(", ")}`
  );
}
