/**
 * The SchedulerService implementation: PreviewRecurrence expands a rule for the web editor (no
 * state), ListUpcomingReminders pages through the caller's reminders that have not fired yet, from
 * the read model the task-events consumer keeps (`scheduler.reminders`), soonest first.
 */

import type { MessageInitShape } from "@bufbuild/protobuf";
import { timestampDate, timestampFromDate } from "@bufbuild/protobuf/wkt";
import type { ServiceImpl } from "@connectrpc/connect";
import type { UpcomingReminderSchema } from "@todo/gen/todo/scheduler/v1/reminder_pb";
import type { SchedulerService } from "@todo/gen/todo/scheduler/v1/scheduler_service_pb";
import { canonicalTimeZone, invalidArgument, principalOf, type Sql } from "@todo/platform";
import {
  neverRepeatsProblem,
  previewOccurrences,
  RecurrenceError,
  RecurrenceLimitError,
} from "@todo/recurrence";
import { listUpcoming, type UpcomingCursor, type UpcomingRow } from "./store";
import { DEFAULT_PAGE_SIZE, DEFAULT_PREVIEW_COUNT, MAX_PAGE_SIZE } from "./validation";

/** What the service needs. */
export interface SchedulerServiceDeps {
  readonly sql: Sql;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** An opaque page token: the (fire time, task id, reminder id) of the last reminder of a page. */
export function encodePageToken(cursor: UpcomingCursor): string {
  return Buffer.from(
    JSON.stringify({ v: 1, t: cursor.fireTime.getTime(), k: cursor.taskId, r: cursor.reminderId }),
  ).toString("base64url");
}

/** Reads a page token; INVALID_ARGUMENT naming `page_token` when it is not one of ours. */
export function decodePageToken(token: string): UpcomingCursor {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(token, "base64url").toString("utf8"));
    if (parsed && typeof parsed === "object") {
      const { v, t, k, r } = parsed as Record<string, unknown>;
      if (
        v === 1 &&
        Number.isSafeInteger(t) &&
        typeof k === "string" &&
        UUID.test(k) &&
        typeof r === "string"
      ) {
        return { fireTime: new Date(t as number), taskId: k, reminderId: r };
      }
    }
  } catch {
    // fall through
  }
  throw invalidArgument({
    field: "page_token",
    description: "is not a page token from ListUpcomingReminders; start again without it",
  });
}

function toUpcoming(row: UpcomingRow): MessageInitShape<typeof UpcomingReminderSchema> {
  return {
    taskId: row.task_id,
    reminderId: row.reminder_id,
    fireTime: timestampFromDate(row.fire_time),
    taskTitle: row.task_title,
    dueTime: row.due_time ? timestampFromDate(row.due_time) : undefined,
  };
}

/** Creates the SchedulerService implementation. */
export function createSchedulerService(deps: SchedulerServiceDeps): ServiceImpl<typeof SchedulerService> {
  return {
    async previewRecurrence(req, ctx) {
      const user = principalOf(ctx);
      // The validators checked rrule, time_zone and count; start_time is REQUIRED.
      const timeZone = req.timeZone === "" ? user.timeZone : (canonicalTimeZone(req.timeZone) as string);
      const start = timestampDate(req.startTime as NonNullable<typeof req.startTime>);
      const count = req.count === 0 ? DEFAULT_PREVIEW_COUNT : req.count;
      // A rule that can never repeat is refused as CreateTask refuses it, not previewed as one date.
      const never = neverRepeatsProblem(req.rrule, start, timeZone);
      if (never) throw invalidArgument({ field: "rrule", description: never });
      let occurrences: Date[];
      try {
        occurrences = previewOccurrences(req.rrule, start, timeZone, count);
      } catch (err) {
        if (err instanceof RecurrenceLimitError) {
          throw invalidArgument({
            field: "rrule",
            description: "matches (almost) never; check its BY parts",
          });
        }
        if (err instanceof RecurrenceError)
          throw invalidArgument({ field: "rrule", description: err.message });
        throw err;
      }
      return { occurrences: occurrences.map((d) => timestampFromDate(d)) };
    },

    async listUpcomingReminders(req, ctx) {
      const { userId } = principalOf(ctx);
      const limit = req.pageSize === 0 ? DEFAULT_PAGE_SIZE : Math.min(req.pageSize, MAX_PAGE_SIZE);
      const cursor = req.pageToken === "" ? undefined : decodePageToken(req.pageToken);
      const rows = await listUpcoming(deps.sql, userId, cursor, limit + 1);
      const page = rows.slice(0, limit);
      const last = page[page.length - 1];
      return {
        reminders: page.map(toUpcoming),
        nextPageToken:
          rows.length > limit && last
            ? encodePageToken({
                fireTime: last.fire_time,
                taskId: last.task_id,
                reminderId: last.reminder_id,
              })
            : "",
      };
    },
  };
}
