/**
 * What the fault suite keeps when an acknowledged reminder never reached the inbox: for each
 * missing reminder, every stage it could have stopped at, read while the system is still up — the
 * task service's outbox (an event not yet on `task-events`), the scheduler's view of the task
 * (`scheduler.tasks`, `scheduler.reminders`), its durable job (`scheduler.jobs`, the PostgreSQL
 * adapter; the Dapr mode keeps jobs in the Dapr scheduler), the
 * scheduler's outbox, the records of the task on `reminders` and `reminders.dlq` with the
 * notification group's committed offset on their partition, whether the notification service
 * recorded their event ids as processed, and its inbox rows. Then a `pg_dump` of the system's
 * database and a copy of every process's log go into a directory that outlives the run (the
 * harness drops the database and the private cluster is deleted at the end), so the stage can be
 * read afterwards. docs/reliability.md says how to read it.
 */
import { cpSync, existsSync, mkdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type postgres from "postgres";
import type { CollectedRecord, Collector, KafkaProbe } from "../../tests/integration/kafka-probe.ts";
import { findBin } from "./postgres.ts";
import { capture } from "./proc.ts";

/** An acknowledged reminder that is not in its owner's inbox. */
export interface MissingReminder {
  readonly phase: string;
  readonly taskId: string;
  readonly userId: string;
  /** The reminder's time as the client set it, ms since the epoch. */
  readonly reminderAt: number;
  /** The CreateTask call's start and end, ms since the epoch. */
  readonly callStart: number;
  readonly callEnd: number;
  /** The task's create and due time as the server holds them, ms (undefined when absent). */
  readonly createTime?: number;
  readonly dueTime?: number;
}

/** Where the evidence is read from: the system under test, while it still runs. */
export interface EvidenceSource {
  readonly mode: "services" | "dapr";
  /** A pool on the system's database. */
  readonly sql: postgres.Sql;
  readonly databaseUrl: string;
  readonly kafka: KafkaProbe;
  /** Everything published on `reminders` and `reminders.dlq` since before the load started. */
  readonly reminders: Collector;
  readonly dlq: Collector;
  /** The folder with the processes' logs. */
  readonly logDir: string;
}

/** The evidence source of a harness system (`TestSystem` or `DaprTestSystem`) whose logs are in `logDir`. */
export function evidenceSource(
  mode: EvidenceSource["mode"],
  system: { readonly sql: postgres.Sql; readonly databaseUrl: string; readonly kafka: KafkaProbe },
  logDir: string,
  collectors: { readonly reminders: Collector; readonly dlq: Collector },
): EvidenceSource {
  return {
    mode,
    sql: system.sql,
    databaseUrl: system.databaseUrl,
    kafka: system.kafka,
    logDir,
    ...collectors,
  };
}

/** What was kept, and the lines to print. */
export interface Evidence {
  readonly dir: string;
  /** The offsets line, then nine lines per missing reminder, then where it was kept. */
  readonly lines: string[];
  readonly missing: number;
}

/** The first `shown` missing reminders' lines of `evidence`, then how many more and where all are. */
export function evidenceSummary(evidence: Evidence, shown = 3): string[] {
  const per = 9;
  const head = evidence.lines.slice(0, Math.min(1 + per * shown, evidence.lines.length - 1));
  const more = evidence.missing - shown;
  return [
    ...head,
    ...(more > 0 ? [`… and ${more} more missing (all in ${evidence.dir}/missing-reminders.txt)`] : []),
    evidence.lines.at(-1) ?? "",
  ];
}

const iso = (t: number | Date | null | undefined) =>
  t === undefined || t === null ? "–" : new Date(t).toISOString().slice(11, 23);

/** Rows of `query`, or the error's message when the table is not there (e.g. no jobs table in Dapr). */
async function rows(
  sql: postgres.Sql,
  query: string,
  params: unknown[],
): Promise<Record<string, unknown>[] | string> {
  try {
    return [...(await sql.unsafe(query, params as postgres.ParameterOrJSON<never>[]))];
  } catch (err) {
    return `(${err instanceof Error ? err.message : String(err)})`;
  }
}

/** The CloudEvent id of a record: the `ce_id` header (binary mode) or the JSON body's `id` (structured). */
function eventId(r: CollectedRecord): string {
  if (r.headers.ce_id) return r.headers.ce_id;
  try {
    return String((JSON.parse(r.value?.toString("utf8") ?? "{}") as { id?: unknown }).id ?? "?");
  } catch {
    return "?";
  }
}

/** Whether `r` is about `taskId`: its key, or (a structured event) its subject. */
function isAbout(r: CollectedRecord, taskId: string): boolean {
  return (
    r.key?.toString("utf8") === taskId ||
    r.headers.ce_subject === taskId ||
    (r.value?.includes(taskId) ?? false)
  );
}

const show = (v: Record<string, unknown>[] | string) =>
  typeof v === "string"
    ? v
    : v.length === 0
      ? "none"
      : v
          .map((row) =>
            Object.entries(row)
              .map(
                ([k, x]) =>
                  `${k}=${x instanceof Date ? x.toISOString() : x instanceof Uint8Array ? `<${x.length} bytes>` : String(x)}`,
              )
              .join(" "),
          )
          .join(" | ");

/** Reads what every stage says about each of `missing`, keeps the database and logs; returns where and what. */
export async function collectEvidence(
  source: EvidenceSource,
  missing: readonly MissingReminder[],
): Promise<Evidence> {
  const dir = join(tmpdir(), `todo-chaos-evidence-${new Date().toISOString().replace(/[:.]/g, "-")}`);
  mkdirSync(dir, { recursive: true });
  const { sql, kafka } = source;
  const group = kafka.group("notification");
  const committed = await kafka
    .committedOffsets("notification", "reminders")
    .catch(() => new Map<number, number>());
  const ends = await kafka.endOffsets("reminders").catch(() => new Map<number, number>());
  const lines: string[] = [
    `reminders: end offsets ${JSON.stringify([...ends])}, group ${group} committed ${JSON.stringify([...committed])}`,
  ];
  const details: unknown[] = [];
  for (const m of missing) {
    // The task service's outbox: events of the task not yet published to task-events.
    const taskOutbox = await rows(
      sql,
      "select seq, topic, event_id, create_time, attempts, last_error from task.outbox where key = $1",
      [m.taskId],
    );
    const scheduler = {
      task: await rows(
        sql,
        "select user_id, version, update_time, deleted from scheduler.tasks where task_id = $1",
        [m.taskId],
      ),
      reminders: await rows(
        sql,
        "select reminder_id, occurrence_key, fire_time, fired from scheduler.reminders where task_id = $1",
        [m.taskId],
      ),
      jobs: await rows(
        sql,
        "select name, due_time, run_time, attempts, last_error, claim, claimed_until, update_time from scheduler.jobs where name like $1",
        [`reminder/${m.taskId}/%`],
      ),
      outbox: await rows(
        sql,
        "select seq, topic, event_id, create_time, attempts, last_error, claim, claimed_until from scheduler.outbox where key = $1",
        [m.taskId],
      ),
    };
    const records = source.reminders.matching((r) => isAbout(r, m.taskId));
    const dead = source.dlq.matching((r) => isAbout(r, m.taskId));
    const onTopic = [];
    for (const r of records) {
      const id = eventId(r);
      const processed = await rows(
        sql,
        "select consumer, process_time from notification.processed_events where event_id = $1",
        [id],
      );
      const commit = committed.get(r.partition);
      onTopic.push({
        partition: r.partition,
        offset: r.offset,
        timestamp: iso(r.timestamp),
        eventId: id,
        committedPast: commit !== undefined && commit > Number(r.offset),
        processed,
      });
    }
    const inbox = await rows(
      sql,
      "select id, occurrence_key, fire_time, create_time from notification.notifications where task_id = $1",
      [m.taskId],
    );
    details.push({
      ...m,
      scheduler,
      onTopic,
      dlq: dead.map((r) => ({ partition: r.partition, offset: r.offset, headers: r.headers })),
      inbox,
    });
    lines.push(
      `missing reminder of task ${m.taskId} (user ${m.userId}, phase "${m.phase}"): reminder at ${iso(m.reminderAt)}, ` +
        `create call ${iso(m.callStart)}–${iso(m.callEnd)}, server create ${iso(m.createTime)}, due ${iso(m.dueTime)}`,
      `  task.outbox: ${show(taskOutbox)}`,
      `  scheduler.tasks: ${show(scheduler.task)}`,
      `  scheduler.reminders: ${show(scheduler.reminders)}`,
      `  scheduler.jobs: ${source.mode === "dapr" ? "(Dapr Jobs: in the Dapr scheduler) " : ""}${show(scheduler.jobs)}`,
      `  scheduler.outbox: ${show(scheduler.outbox)}`,
      `  on reminders: ${
        onTopic.length === 0
          ? "no record"
          : onTopic
              .map(
                (r) =>
                  `p${r.partition}@${r.offset} at ${r.timestamp} id ${r.eventId}, group committed past it: ${r.committedPast}, processed: ${show(r.processed)}`,
              )
              .join(" | ")
      }`,
      `  on reminders.dlq: ${dead.length === 0 ? "no record" : dead.map((r) => `p${r.partition}@${r.offset} ${JSON.stringify(r.headers)}`).join(" | ")}`,
      `  notification.notifications: ${show(inbox)}`,
    );
  }
  writeFileSync(join(dir, "missing-reminders.json"), `${JSON.stringify(details, null, 2)}\n`);
  writeFileSync(join(dir, "missing-reminders.txt"), `${lines.join("\n")}\n`);
  if (existsSync(source.logDir)) cpSync(source.logDir, join(dir, "logs"), { recursive: true });
  const dump = await findBin()
    .then((bin) =>
      capture([join(bin.dir, "pg_dump"), "--no-owner", "-f", join(dir, "database.sql"), source.databaseUrl]),
    )
    .catch((err: unknown) => ({ code: 1, stdout: "", stderr: String(err) }));
  lines.push(
    dump.code === 0
      ? `kept in ${dir}: missing-reminders.{txt,json}, logs/, database.sql (pg_dump; \`psql -f\` restores it)`
      : `kept in ${dir}: missing-reminders.{txt,json}, logs/ — pg_dump failed: ${dump.stderr.trim().split("\n")[0]}`,
  );
  return { dir, lines, missing: missing.length };
}
