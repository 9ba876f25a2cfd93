/**
 * The counts of the fault suite, made once the load has stopped and the system has settled: what the
 * server holds (read back through the edge) against what the clients were acknowledged, per phase
 * (the fault in force when the call started, or when the reminder was due).
 *
 * - **lost**: an acknowledged create whose task is not there, or an acknowledged completion whose
 *   task is not COMPLETED.
 * - **reminders**: each acknowledged reminder must be in its user's inbox exactly once and not
 *   before its time (`create_time >= fire_time`, one clock: everything runs on this machine). The
 *   time is the client's (call start + lead); when the server stamped the task later than that (a
 *   create slower than its lead), the reminder was already past when it was set, which the scheduler
 *   does not schedule by design (task-events-consumer.ts): such a reminder is counted as "set in
 *   the past", not as missing, and only when it did not arrive.
 * - **watch missed**: a change the WatchTasks client of that user did not receive although its stream
 *   was live from before the call until 30 s after the acknowledgement (a gap it could not know of).
 * - **watch diverged**: tasks whose final state in the watcher's view (stream plus the read-back at
 *   each reconnection) differs from the server's.
 */
import { type Timestamp, timestampDate } from "@bufbuild/protobuf/wkt";
import { createClient } from "@connectrpc/connect";
import type { Notification } from "@todo/gen/todo/notification/v1/notification_pb";
import { NotificationService } from "@todo/gen/todo/notification/v1/notification_service_pb";
import { TaskStatus } from "@todo/gen/todo/task/v1/task_pb";
import type { Collector } from "../../tests/integration/kafka-probe.ts";
import { connectTransport } from "../../tests/integration/system.ts";
import type { MissingReminder } from "./chaos-evidence.ts";
import {
  expectedChange,
  type Ledger,
  type LoadUser,
  listAll,
  type Op,
  taskClient,
  type Watcher,
} from "./chaos-load.ts";

/** When a fault was injected and when the system was whole again. */
export interface PhaseMark {
  readonly name: string;
  readonly startedAt: number;
  /** When the injection (kill and restart) returned; undefined for the baseline. */
  restoredAt?: number;
  /** Why the system did not come back, when it did not. */
  error?: string;
}

/** The outcome of one phase. */
export interface PhaseOutcome {
  readonly name: string;
  /** Why the system did not come back after this fault, when it did not. */
  readonly error?: string;
  /** Kill-to-ready of the fault's restart, ms. */
  readonly restoreMs: number | undefined;
  readonly calls: number;
  readonly failedCalls: number;
  /** First to last failed call's span, ms (0 without failures). */
  readonly outageMs: number;
  readonly ackedWrites: number;
  readonly lost: number;
  readonly remindersDue: number;
  readonly remindersOnce: number;
  readonly remindersMissing: number;
  /** Reminders the server received after their time (a create slower than its lead): not scheduled by design. */
  readonly remindersSetPast: number;
  readonly remindersDuplicated: number;
  readonly remindersEarly: number;
  /** The latest delivery's delay after its time, ms. */
  readonly maxLateMs: number;
  readonly watchReconnects: number;
  readonly watchMissed: number;
  /** The failed calls grouped by code and message, commonest first. */
  readonly failures: FailureGroup[];
  /** A few ids behind the non-zero defect counts, for the logs. */
  readonly examples: string[];
}

/** Failed calls with one code and (ids masked) one message. */
export interface FailureGroup {
  readonly code: string;
  readonly message: string;
  readonly count: number;
  /** The first and last such call's start, ms since the epoch. */
  readonly first: number;
  readonly last: number;
}

const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi;

/** Groups failed `ops` by code and message (UUIDs masked as `<id>`), commonest first. */
export function groupFailures(ops: readonly Op[]): FailureGroup[] {
  const groups = new Map<
    string,
    { code: string; message: string; count: number; first: number; last: number }
  >();
  for (const op of ops) {
    if (op.ok) continue;
    const code = op.code ?? "unknown";
    const message = (op.error ?? "").replace(UUID, "<id>");
    const key = `${code}\n${message}`;
    const g = groups.get(key);
    if (g) {
      g.count++;
      g.first = Math.min(g.first, op.start);
      g.last = Math.max(g.last, op.start);
    } else groups.set(key, { code, message, count: 1, first: op.start, last: op.start });
  }
  return [...groups.values()].sort((a, b) => b.count - a.count || a.first - b.first);
}

/** The whole run's counts. */
export interface Verification {
  readonly phases: PhaseOutcome[];
  /** Tasks whose state differs between a watcher's view and the server, over all watchers. */
  readonly watchDiverged: number;
  readonly watchersChecked: number;
  /** Every acknowledged reminder counted as missing, with what the server says of its task. */
  readonly missing: MissingReminder[];
}

/** All of `user`'s notifications, page by page. */
async function inboxOf(edgeUrl: string, user: LoadUser): Promise<Notification[]> {
  const inbox = createClient(NotificationService, connectTransport(edgeUrl, user.token));
  const out: Notification[] = [];
  let pageToken = "";
  do {
    const page = await inbox.listNotifications({ pageSize: 100, pageToken }, { timeoutMs: 15_000 });
    out.push(...page.notifications);
    pageToken = page.nextPageToken;
  } while (pageToken !== "");
  return out;
}

const ms = (t: Timestamp | undefined) => (t ? timestampDate(t).getTime() : 0);

/**
 * What `task-updates` held for a change a watcher missed: whether the change left the task service
 * at all (the outbox and its relay) or reached the topic and was lost on the way to the stream.
 */
function onTopic(taskUpdates: Pick<Collector, "records"> | undefined, op: Op & { taskId: string }): string {
  if (!taskUpdates) return "";
  // Record timestamps are the producer's clock, which is this machine's.
  const since = taskUpdates.records.filter(
    (r) => r.key?.toString("utf8") === op.taskId && r.timestamp >= op.start,
  );
  const first = since[0];
  if (!first) return " (task-updates has no record of the task since the call started)";
  const after = ((first.timestamp - op.end) / 1000).toFixed(1);
  return ` (task-updates: ${since.length} record(s) of the task since the call started, the first ${after} s after the ack, partition ${first.partition} offset ${first.offset})`;
}

/** The index of the phase in force at `t`. */
function phaseAt(marks: readonly PhaseMark[], t: number): number {
  let at = 0;
  marks.forEach((m, i) => {
    if (m.startedAt <= t) at = i;
  });
  return at;
}

/** Counts everything; `stoppedAt` is when the load stopped (watch windows are clipped to it). */
export async function verify(
  edgeUrl: string,
  users: readonly LoadUser[],
  ledger: Ledger,
  watchers: readonly Watcher[],
  marks: readonly PhaseMark[],
  stoppedAt: number,
  taskUpdates?: Pick<Collector, "records">,
): Promise<Verification> {
  const state = await Promise.all(
    users.map(async (u) => new Map((await listAll(taskClient(edgeUrl, u))).map((t) => [t.id, t]))),
  );
  const inboxes = await Promise.all(users.map((u) => inboxOf(edgeUrl, u)));
  const byTask = new Map<string, Notification[]>();
  for (const n of inboxes.flat()) byTask.set(n.taskId, [...(byTask.get(n.taskId) ?? []), n]);

  const missingReminders: MissingReminder[] = [];
  const acked = ledger.ops.filter((o): o is Op & { taskId: string } => o.ok && o.taskId !== undefined);
  const phases = marks.map((mark, i): PhaseOutcome => {
    const ops = ledger.ops.filter((o) => o.phase === i);
    // A failure belongs to the phase in force when it failed: a call still in flight when the next
    // fault lands fails because of that fault, not of the phase it started in.
    const failed = ledger.ops.filter((o) => !o.ok && phaseAt(marks, o.end) === i);
    const examples: string[] = [];
    let lost = 0;
    let watchMissed = 0;
    for (const op of acked.filter((o) => o.phase === i)) {
      const status = state[op.user]?.get(op.taskId)?.status;
      const ok = op.kind === "create" ? status !== undefined : status === TaskStatus.COMPLETED;
      if (!ok) {
        lost++;
        examples.push(`lost ${op.kind} ${op.taskId} (server: ${status ?? "absent"})`);
      }
      const watcher = watchers[op.user];
      const windowEnd = Math.min(op.end + 30_000, stoppedAt);
      if (watcher?.liveOver(op.start, windowEnd) && !watcher.seen.get(op.taskId)?.has(expectedChange(op))) {
        watchMissed++;
        examples.push(`watch missed ${op.kind} ${op.taskId}${onTopic(taskUpdates, op)}`);
      }
    }
    const due = acked.filter((o) => o.reminderAt !== undefined && phaseAt(marks, o.reminderAt) === i);
    let once = 0;
    let missing = 0;
    let setPast = 0;
    let duplicated = 0;
    let early = 0;
    let maxLateMs = 0;
    for (const op of due) {
      const got = byTask.get(op.taskId) ?? [];
      const at = op.reminderAt as number;
      const created = state[op.user]?.get(op.taskId)?.createTime;
      if (got.length === 0 && created && ms(created) > at) {
        setPast++;
      } else if (got.length === 0) {
        missing++;
        examples.push(`reminder missing ${op.taskId}`);
        const task = state[op.user]?.get(op.taskId);
        missingReminders.push({
          phase: mark.name,
          taskId: op.taskId,
          userId: users[op.user]?.userId ?? "?",
          reminderAt: at,
          callStart: op.start,
          callEnd: op.end,
          ...(created ? { createTime: ms(created) } : {}),
          ...(task?.dueTime ? { dueTime: ms(task.dueTime) } : {}),
        });
      } else if (got.length > 1) {
        duplicated++;
        examples.push(`reminder ×${got.length} ${op.taskId}`);
      } else once++;
      for (const n of got) {
        if (ms(n.createTime) < at) {
          early++;
          examples.push(`reminder early ${op.taskId}: in inbox at ${ms(n.createTime) - at} ms`);
        }
        maxLateMs = Math.max(maxLateMs, ms(n.createTime) - at);
      }
    }
    return {
      name: mark.name,
      ...(mark.error ? { error: mark.error } : {}),
      restoreMs: mark.restoredAt === undefined ? undefined : mark.restoredAt - mark.startedAt,
      calls: ops.length,
      failedCalls: failed.length,
      outageMs:
        failed.length === 0
          ? 0
          : Math.max(...failed.map((o) => o.end)) - Math.min(...failed.map((o) => o.start)),
      ackedWrites: ops.filter((o) => o.ok).length,
      lost,
      remindersDue: due.length,
      remindersOnce: once,
      remindersMissing: missing,
      remindersSetPast: setPast,
      remindersDuplicated: duplicated,
      remindersEarly: early,
      maxLateMs,
      watchReconnects: watchers.reduce((n, w) => n + w.reconnectPhases.filter((p) => p === i).length, 0),
      watchMissed,
      failures: groupFailures(failed),
      examples: examples.slice(0, 5),
    };
  });

  let watchDiverged = 0;
  watchers.forEach((w, u) => {
    for (const [id, task] of state[u] ?? []) {
      if (w.view.get(id)?.status !== task.status) watchDiverged++;
    }
  });
  return { phases, watchDiverged, watchersChecked: watchers.length, missing: missingReminders };
}

/** Whether a phase shows no defect. */
export function phasePassed(p: PhaseOutcome): boolean {
  return (
    p.error === undefined &&
    p.lost === 0 &&
    p.remindersMissing === 0 &&
    p.remindersDuplicated === 0 &&
    p.remindersEarly === 0 &&
    p.watchMissed === 0
  );
}
