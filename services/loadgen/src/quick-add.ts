/**
 * What a virtual user types into the quick-add box, and the CreateTask request the box would send:
 * the text is read by the product's own parser (`parseQuickAdd` of `@todo/language`, the one the web
 * app and the assistant use), so the load carries the same mix of due dates, tags, priorities,
 * recurrence and reminders as typed tasks do.
 */
import type { MessageInitShape } from "@bufbuild/protobuf";
import { durationFromMs, timestampFromDate } from "@bufbuild/protobuf/wkt";
import { RecurrenceAnchor, type TaskSchema } from "@todo/gen/todo/task/v1/task_pb";
import { parseQuickAdd } from "@todo/language";
import { PRIORITY_BY_NAME } from "@todo/language/priority";

/** A random number in [0, 1) (`Math.random`, or a seeded generator in tests). */
export type Rng = () => number;

/** Lines without recurrence (one in three with a due date and a time, some with a reminder). */
const ONE_OFF = [
  "Buy milk tomorrow at 5pm #errands",
  "Call the dentist on Friday !high",
  "Send the quarterly report to Anna by next Monday #work !urgent",
  "Book flights for the summer holiday #travel",
  "Pick up the parcel at the post office today at 4pm",
  "Renew the car insurance Dec 28 remind me 2 days before #admin",
  "Prepare slides for the team meeting tomorrow at 10am remind me 30 minutes before #work",
  "Fix the leaking kitchen tap #home !medium",
  "Read chapter 3 of the design book",
  "Reply to the landlord about the heating #home",
  "Order a birthday present for Sam next Friday #family",
  "Review pull requests #work !low",
];

/** Lines that repeat, completed over and over by the users who type them. */
const RECURRING = [
  "Water the plants every 3 days #home",
  "Stand-up every weekday at 9:30 #work",
  "Take out the bins every Tuesday at 7pm",
  "Pay rent every month on the 1st #admin !high",
  "Gym every Monday, Wednesday and Friday at 6pm",
  "Clean the fridge every 2 weeks after completion",
];

/** Words a user searches for: title words of the lines above (prefixes and a typo too). */
export const SEARCH_WORDS = [
  "milk",
  "dentist",
  "report",
  "flights",
  "parcel",
  "insurance",
  "slides",
  "tap",
  "plants",
  "rent",
  "gym",
  "birthday",
  "rev",
  "fridg",
  "landlrod",
];

/** ListTasks filters and orders a user's views ask for (docs/filtering.md). */
export const VIEWS: readonly { readonly filter: string; readonly orderBy: string }[] = [
  { filter: "status = OPEN", orderBy: "priority desc, due_time" },
  { filter: "status = OPEN AND due_time < today+7d", orderBy: "due_time" },
  { filter: "status = OPEN AND priority >= HIGH", orderBy: "due_time" },
  { filter: "tags:work", orderBy: "" },
  { filter: "", orderBy: "" },
];

/** One element of `items`, chosen by `rng`. */
export function pick<T>(items: readonly T[], rng: Rng): T {
  return items[Math.floor(rng() * items.length)] as T;
}

/** A quick-add line: recurring with probability `recurringShare`. */
export function quickAddLine(rng: Rng, recurringShare: number): string {
  return rng() < recurringShare ? pick(RECURRING, rng) : pick(ONE_OFF, rng);
}

/** The task a CreateTask request carries. */
export type TaskInit = MessageInitShape<typeof TaskSchema>;

/**
 * The task the quick-add box creates from `text`, typed at `now` in `timeZone`: title, priority,
 * tags, due time, recurrence and reminders as the parser read them (docs/quick-add.md).
 */
export function quickAddTask(text: string, now: Date, timeZone: string): TaskInit {
  const p = parseQuickAdd(text, { now, timeZone });
  return {
    title: p.title.trim() || text,
    ...(p.priority ? { priority: PRIORITY_BY_NAME[p.priority] } : {}),
    tags: p.tags,
    ...(p.due ? { dueTime: timestampFromDate(p.due.time) } : {}),
    timeZone: p.timeZone,
    ...(p.recurrence
      ? {
          recurrence: {
            rrule: p.recurrence.rrule,
            anchor:
              p.recurrence.anchor === "completion" ? RecurrenceAnchor.COMPLETION : RecurrenceAnchor.SCHEDULE,
          },
        }
      : {}),
    reminders: p.reminders.map((r) => ({
      trigger:
        "at" in r
          ? { case: "at" as const, value: timestampFromDate(r.at) }
          : { case: "beforeDue" as const, value: durationFromMs(r.beforeDueMs) },
    })),
  };
}
