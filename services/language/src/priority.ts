/**
 * The priority vocabulary, in one place for every surface: the four names (low, medium, high,
 * urgent), their `todo.task.v1.Priority` enum values, the labels the web app shows, and the words
 * the quick-add grammar reads as a priority. Numbers are never priorities (docs/quick-add.md).
 *
 * Its own entry (`@todo/language/priority`), with nothing but the generated enum behind it, so the
 * web app can import it eagerly without loading the quick-add parser, and the assistant, the tool
 * catalogue and MCP name priorities exactly as the quick-add box does.
 */
import { Priority } from "@todo/gen/todo/task/v1/task_pb";
import { wordTable } from "./word-table.ts";

/** The priority names, lowest first. */
export const PRIORITY_NAMES = ["low", "medium", "high", "urgent"] as const;

/** A priority by name; numbers are never priorities. */
export type PriorityName = (typeof PRIORITY_NAMES)[number];

/** A priority name, or `none` for "no priority" (the enum's UNSPECIFIED). */
export type PriorityKey = PriorityName | "none";

/** Each name's value in the API's enum. */
export const PRIORITY_BY_NAME: Readonly<Record<PriorityName, Priority>> = {
  low: Priority.LOW,
  medium: Priority.MEDIUM,
  high: Priority.HIGH,
  urgent: Priority.URGENT,
};

/** The API's priorities to their names; "no priority" (UNSPECIFIED) has no entry. */
export const PRIORITY_NAME: Readonly<Record<number, PriorityName>> = {
  [Priority.LOW]: "low",
  [Priority.MEDIUM]: "medium",
  [Priority.HIGH]: "high",
  [Priority.URGENT]: "urgent",
};

/** The API's priority for a name; `none`, null or nothing is UNSPECIFIED. */
export function priorityOf(name: PriorityKey | null | undefined): Priority {
  return name && name !== "none" ? PRIORITY_BY_NAME[name] : Priority.UNSPECIFIED;
}

/** The name of an API priority; `none` when unset (or a value this version does not know). */
export function priorityName(priority: Priority): PriorityKey {
  return PRIORITY_NAME[priority] ?? "none";
}

/** The enum's own value names (`URGENT`, …, `UNSPECIFIED`), as AIP-160 filters write them. */
export const PRIORITY_ENUM_NAME: Readonly<Record<PriorityKey, string>> = {
  urgent: "URGENT",
  high: "HIGH",
  medium: "MEDIUM",
  low: "LOW",
  none: "UNSPECIFIED",
};

/** A priority as a screen shows it: its enum value, its key (for URLs and CSS) and its label. */
export interface PriorityLabel {
  readonly value: Priority;
  readonly key: PriorityKey;
  /** `Urgent`, `High`, `Medium`, `Low`, or `None`. */
  readonly label: string;
}

/** Every priority from the most important down, "no priority" last. */
export const PRIORITY_LABELS: readonly PriorityLabel[] = [
  { value: Priority.URGENT, key: "urgent", label: "Urgent" },
  { value: Priority.HIGH, key: "high", label: "High" },
  { value: Priority.MEDIUM, key: "medium", label: "Medium" },
  { value: Priority.LOW, key: "low", label: "Low" },
  { value: Priority.UNSPECIFIED, key: "none", label: "None" },
];

/**
 * The words the quick-add grammar reads as a priority ("!urgent", "priority: high", "critical"),
 * lowercase. Wider readers (the assistant's "top", "asap") extend this table rather than copy it.
 */
export const PRIORITY_WORDS: Readonly<Record<string, PriorityName>> = wordTable({
  low: "low",
  medium: "medium",
  med: "medium",
  normal: "medium",
  high: "high",
  important: "high",
  urgent: "urgent",
  critical: "urgent",
});

/** The priority a lowercase word names, or undefined. */
export function priorityWord(lower: string): PriorityName | undefined {
  return PRIORITY_WORDS[lower];
}
