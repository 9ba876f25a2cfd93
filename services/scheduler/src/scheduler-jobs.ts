/**
 * What the scheduler's jobs do when they fire (the handler given to `JobScheduler.start`):
 *
 * - `reminder/<task>/<reminder>`: marks the occurrence fired and writes `ReminderDue` to the
 *   scheduler's outbox (topic `reminders`, key = task id) in the transaction that removes the job,
 *   so each occurrence is published exactly once however often the job is tried. A job whose
 *   occurrence is no longer current (superseded in the same instant) publishes nothing.
 * - `next/<task>`: creates the next instance of a completed recurring task through
 *   `TaskService.CreateTask`, acting as its owner, in the job's `prepare` step (outside any
 *   transaction — in the embedded mode the task service shares the single database connection). The
 *   request carries `request_id = next:<task>:<due ms>`, so a repeated call returns the instance the
 *   first one created; ALREADY_EXISTS counts as done too. Transient failures (unavailable, deadline,
 *   internal, …) are retried with backoff for as long as it takes; a refusal that no retry can change
 *   (INVALID_ARGUMENT, FAILED_PRECONDITION, …) is logged and recorded in
 *   `scheduler.recurrences.last_error`, and the job ends.
 */
import { timestampDate } from "@bufbuild/protobuf/wkt";
import { type Client, Code, ConnectError } from "@connectrpc/connect";
import { ReminderDueSchema } from "@todo/gen/todo/events/v1/reminder_events_pb";
import type { TaskService } from "@todo/gen/todo/task/v1/task_service_pb";
import { createLogger, EventTypes, type Logger, Topics, type TxSql, toCloudEvent } from "@todo/platform";
import { enqueueEvent } from "@todo/platform/events";
import { type Job, type JobHandler, jobPayloadText } from "@todo/platform/jobs";
import type { ActingAs } from "@todo/platform/serving";
import { decodeNextInstancePlan } from "./next-instance";
import { readReminderPayload } from "./reminders";
import { SCHEDULER_SCHEMA } from "./store";

/** The CloudEvents `source` of events the scheduler produces. */
export const SCHEDULER_EVENT_SOURCE = "todo/scheduler";

/** What the job handler needs. */
export interface SchedulerJobsDeps {
  /** A TaskService client (in-process or remote; see `@todo/platform/clients`). */
  readonly tasks: Client<typeof TaskService>;
  /** Makes call options that act as a user (`createActingAs` with a short-lived token service). */
  readonly actingAs: ActingAs;
  /** Called after a firing transaction committed (wake the scheduler's outbox relay). */
  readonly afterCommit?: () => void;
  /** The deadline of one CreateTask call; default 10 s (keep it well under the jobs' lease). */
  readonly callTimeoutMs?: number;
  readonly logger?: Logger;
}

/** What `prepare` learnt from TaskService about a next instance. */
export type NextInstanceOutcome =
  | { readonly created: true; readonly nextTaskId: string }
  | { readonly created: false; readonly refused: string };

/** Codes that no retry can turn into a success. */
const PERMANENT = new Set([
  Code.InvalidArgument,
  Code.FailedPrecondition,
  Code.OutOfRange,
  Code.PermissionDenied,
  Code.NotFound,
  Code.Unimplemented,
]);

const REMINDER_PREFIX = "reminder/";
const NEXT_PREFIX = "next/";

/** Creates the handler of the scheduler's jobs. */
export function createSchedulerJobHandler(
  deps: SchedulerJobsDeps,
): JobHandler<NextInstanceOutcome | undefined> {
  const log = deps.logger ?? createLogger("scheduler.jobs");
  const timeoutMs = deps.callTimeoutMs ?? 10_000;

  const createNext = async (job: Job): Promise<NextInstanceOutcome> => {
    const plan = decodeNextInstancePlan(jobPayloadText(job));
    const options = await deps.actingAs(
      { userId: plan.userId, email: "", timeZone: plan.timeZone },
      { timeoutMs },
    );
    try {
      const res = await deps.tasks.createTask(plan.request, options);
      return { created: true, nextTaskId: res.task?.id ?? "" };
    } catch (err) {
      const ce = ConnectError.from(err);
      if (ce.code === Code.AlreadyExists) return { created: true, nextTaskId: "" };
      if (!PERMANENT.has(ce.code)) throw ce;
      log.error("TaskService refused the next instance of a recurring task", {
        task_id: plan.completedTaskId,
        code: Code[ce.code],
        err: ce.rawMessage,
      });
      return { created: false, refused: `${Code[ce.code]}: ${ce.rawMessage}` };
    }
  };

  const recordNext = async (tx: TxSql, job: Job, outcome: NextInstanceOutcome | undefined) => {
    const taskId = job.name.slice(NEXT_PREFIX.length);
    if (!outcome) throw new Error(`job ${job.name} fired without its prepare step`);
    const { requestId } = decodeNextInstancePlan(jobPayloadText(job)).request;
    const nextTaskId = outcome.created && outcome.nextTaskId !== "" ? outcome.nextTaskId : null;
    const error = outcome.created ? null : outcome.refused;
    await tx`
      update scheduler.recurrences set next_task_id = ${nextTaskId}::uuid, done_time = now(), last_error = ${error}
      where task_id = ${taskId}::uuid and request_id = ${requestId}`;
  };

  const fireReminder = async (tx: TxSql, job: Job) => {
    const due = readReminderPayload(job.payload);
    const current = await tx`
      update scheduler.reminders set fired = true
      where task_id = ${due.taskId}::uuid and reminder_id = ${due.reminderId}
        and occurrence_key = ${due.occurrenceKey} and not fired
      returning 1`;
    if (current.length === 0) return;
    const event = toCloudEvent(ReminderDueSchema, due, {
      source: SCHEDULER_EVENT_SOURCE,
      type: EventTypes.reminderDue,
      subject: due.taskId,
    });
    await enqueueEvent(tx, SCHEDULER_SCHEMA, { topic: Topics.reminders, key: due.taskId, event });
    log.debug("reminder due", {
      task_id: due.taskId,
      reminder_id: due.reminderId,
      late_ms: Date.now() - (due.fireTime ? timestampDate(due.fireTime).getTime() : Date.now()),
    });
  };

  return {
    async prepare(job) {
      return job.name.startsWith(NEXT_PREFIX) ? createNext(job) : undefined;
    },
    async fire(tx, job, prepared) {
      if (job.name.startsWith(REMINDER_PREFIX)) await fireReminder(tx, job);
      else if (job.name.startsWith(NEXT_PREFIX)) await recordNext(tx, job, prepared);
      else log.warn("dropping a job of an unknown kind", { job: job.name });
    },
    committed() {
      deps.afterCommit?.();
    },
  };
}
