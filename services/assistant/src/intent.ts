/**
 * The interpreter's vocabulary: the intents a message can express and the pieces they are made of
 * (task references, new tasks, changes, list queries and their windows). Both the offline
 * interpreter and the language model's tools produce these, and the executor carries them out.
 */
import type { PriorityName } from "@todo/language/priority";
import type { DueSpec, ReminderSpec, Repetition } from "@todo/tools";

/** A priority by name; numbers are never priorities (the vocabulary is `@todo/language/priority`). */
/** A reminder (an absolute instant or an offset before the due time) and a due instant: the tools' own. */
export type { DueSpec, PriorityName, ReminderSpec };

/** An RRULE with its anchor ("every" counts from the schedule, "every … after I finish" from completion). */
export type RecurrenceSpec = Repetition;

/** Which task a message is about. */
export type TaskRef =
  /** The task(s) touched last ("it", "that"). */
  | { readonly kind: "it" }
  /** A position (1-based; -1 = the last) in the choices offered or the tasks listed last. */
  | { readonly kind: "ordinal"; readonly index: number }
  /** Words of the title, searched for by the service. */
  | { readonly kind: "text"; readonly text: string }
  /** A task id the caller was shown (only the language-model tools name tasks this way). */
  | { readonly kind: "id"; readonly id: string };

/** The fields of a new task. */
export interface NewTask {
  readonly title: string;
  /** Only the language model's add_task sets one; typed messages have none. */
  readonly description?: string;
  readonly priority?: PriorityName;
  readonly tags: readonly string[];
  readonly due?: DueSpec;
  readonly recurrence?: RecurrenceSpec;
  readonly reminders: readonly ReminderSpec[];
}

/** Changes to a task; `null` clears a field. */
export interface TaskChanges {
  readonly title?: string;
  /** "" clears it. */
  readonly description?: string;
  readonly priority?: PriorityName | null;
  readonly due?: DueSpec | null;
  /** Moves the due time by this much (from "postpone it by 2 days"). */
  readonly shiftMs?: number;
  readonly addTags?: readonly string[];
  readonly removeTags?: readonly string[];
  readonly recurrence?: RecurrenceSpec | null;
}

/** A half-open window [from, to) of instants (ISO 8601); either end may be open. */
export interface Window {
  readonly from?: string;
  readonly to?: string;
}

/** What to list. */
export interface ListQuery {
  readonly status: "open" | "completed";
  /** Due within this window. */
  readonly due?: Window;
  /** Completed within this window. */
  readonly completed?: Window;
  /** Open and due before now. */
  readonly overdue?: boolean;
  /** Without a due date. */
  readonly noDue?: boolean;
  readonly priority?: PriorityName;
  /** `priority` and above ("important": high or urgent), not `priority` exactly. */
  readonly priorityAtLeast?: boolean;
  readonly tags: readonly string[];
  /** Words to search for in titles and descriptions. */
  readonly text?: string;
  /** How the answer calls the list, plural: "open tasks", "#work tasks due this week". */
  readonly label: string;
  /** The same for exactly one task: "open task", "#work task due this week". */
  readonly labelOne: string;
}

/** A period named in a question ("this week", "overdue") as a window, and how to say it. */
export interface NamedWindow {
  readonly window: Window;
  /** "this week (Mon 8 – Sun 14 Mar)", "today", "overdue": weeks say which days they cover. */
  readonly label: string;
  /** The period is "overdue": open and due before now. */
  readonly overdue?: boolean;
}

/** What a list asks for, before it is worded: see {@link listQuery}. */
export interface ListCriteria {
  readonly status: "open" | "completed";
  /** Due (or, for completed tasks, completed) within this period. */
  readonly window?: NamedWindow;
  readonly priority?: PriorityName;
  /** `priority` and above, not exactly. */
  readonly priorityAtLeast?: boolean;
  readonly tags: readonly string[];
  readonly text?: string;
  readonly noDue?: boolean;
}

/** One thing the user asked for. */
export type Intent =
  | { readonly kind: "create"; readonly task: NewTask }
  | { readonly kind: "list"; readonly query: ListQuery }
  | { readonly kind: "complete"; readonly target: TaskRef }
  | { readonly kind: "reopen"; readonly target: TaskRef }
  | { readonly kind: "delete"; readonly target: TaskRef }
  | { readonly kind: "update"; readonly target: TaskRef; readonly changes: TaskChanges }
  | { readonly kind: "rename_tag"; readonly from: string; readonly to: string }
  | { readonly kind: "add_reminder"; readonly target: TaskRef; readonly reminder: ReminderSpec }
  /** The answer to a clarifying question by position ("the second one"; -1 = "the last one"). */
  | { readonly kind: "select"; readonly index: number }
  /** The answer by words of the offered titles ("the one about the dentist", "the dentist one"). */
  | { readonly kind: "select"; readonly words: string }
  /** Every task offered ("all of them"; "both", which says there were two). */
  | { readonly kind: "select"; readonly all: "all" | "both" }
  /** Understood the verb but not enough to act: ask `question`. */
  | { readonly kind: "clarify"; readonly question: string }
  | { readonly kind: "help" }
  | { readonly kind: "unknown" };

/** The moment and zone a message is read in. */
export interface InterpretContext {
  readonly now: Date;
  /** The user's IANA time zone. */
  readonly timeZone: string;
  /**
   * The first day of the user's week, as an ISO weekday (1 = Monday … 7 = Sunday): "this week" runs
   * from it. Default 1: the identity service keeps no such preference yet, and the web app's
   * calendar starts weeks on Monday.
   */
  readonly weekStart?: number;
}
