/**
 * Request validation for SchedulerService (run by the platform's validation interceptor before every
 * handler, after the REQUIRED-field check, so handlers may assume valid input). Rules are checked
 * with the task service's own strict RRULE syntax check, so a rule the editor previews is exactly a
 * rule a task accepts.
 */
import type { Message } from "@bufbuild/protobuf";
import type {
  ListUpcomingRemindersRequest,
  PreviewRecurrenceRequest,
} from "@todo/gen/todo/scheduler/v1/scheduler_service_pb";
import { canonicalTimeZone, type FieldViolation, type ServiceValidators } from "@todo/platform";
import { rruleProblem } from "@todo/recurrence";

/** PreviewRecurrence's count when none is given. */
export const DEFAULT_PREVIEW_COUNT = 5;
/** The most occurrences PreviewRecurrence returns. */
export const MAX_PREVIEW_COUNT = 100;
/** ListUpcomingReminders' page size when none is given. */
export const DEFAULT_PAGE_SIZE = 50;
/** The largest ListUpcomingReminders page (larger requests get this many). */
export const MAX_PAGE_SIZE = 1000;

function previewRecurrence(message: Message): FieldViolation[] {
  const req = message as PreviewRecurrenceRequest;
  const out: FieldViolation[] = [];
  const problem = rruleProblem(req.rrule);
  if (problem) out.push({ field: "rrule", description: problem });
  if (req.timeZone !== "" && !canonicalTimeZone(req.timeZone)) {
    out.push({ field: "time_zone", description: "is not an IANA time zone such as Europe/Berlin" });
  }
  if (req.count < 0 || req.count > MAX_PREVIEW_COUNT) {
    out.push({
      field: "count",
      description: `must be from 0 (meaning ${DEFAULT_PREVIEW_COUNT}) to ${MAX_PREVIEW_COUNT}`,
    });
  }
  return out;
}

function listUpcomingReminders(message: Message): FieldViolation[] {
  const req = message as ListUpcomingRemindersRequest;
  if (req.pageSize < 0) return [{ field: "page_size", description: "must not be negative" }];
  return [];
}

/** The SchedulerService validators, by method. */
export const schedulerValidators: ServiceValidators = {
  PreviewRecurrence: previewRecurrence,
  ListUpcomingReminders: listUpcomingReminders,
};
