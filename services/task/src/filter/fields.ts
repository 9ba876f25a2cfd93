/**
 * The fields a `ListTasks` filter may name: their types, the operators each accepts, and the column each
 * compiles to. This table is the whitelist — the compiler writes no column name or operator that is not
 * spelled out here, which is what keeps user text out of the SQL.
 */
import { Priority, PrioritySchema, TaskStatus, TaskStatusSchema } from "@todo/gen/todo/task/v1/task_pb";

/** A field a filter can name. */
export type FilterField =
  | "status"
  | "priority"
  | "tags"
  | "due_time"
  | "create_time"
  | "update_time"
  | "complete_time"
  | "title";

/** A comparison operator. `:` is AIP-160's "has" operator. */
export type Comparator = "=" | "!=" | "<" | "<=" | ">" | ">=" | ":";

/** What kind of value a field holds, which decides the operators and values it accepts. */
export type FieldKind = "enum" | "tags" | "timestamp" | "text";

/** One named value of an enum field. */
export interface EnumValue {
  /** The full protobuf name, e.g. `PRIORITY_HIGH`. */
  readonly name: string;
  /** The short name, e.g. `HIGH`. */
  readonly shortName: string;
  /** The stored number. */
  readonly number: number;
}

/** The description of one filterable field. */
export interface FieldSpec {
  readonly name: FilterField;
  readonly kind: FieldKind;
  /** The column it compiles to (unqualified). */
  readonly column: string;
  /** Whether the column can be NULL (a missing value). */
  readonly nullable: boolean;
  /** The operators allowed with a value (presence `:*` is governed by `presence`). */
  readonly comparators: readonly Comparator[];
  /** Whether `field:*` (has a value) is allowed. */
  readonly presence: boolean;
  /** For enum fields: the word used in messages ("priority") and the accepted values. */
  readonly enumLabel?: string;
  readonly enumValues?: readonly EnumValue[];
  /** For enum fields: how to list the accepted values in an error message. */
  readonly enumHint?: string;
}

const EQUALITY: readonly Comparator[] = ["=", "!=", ":"];
const ORDERED: readonly Comparator[] = ["=", "!=", "<", "<=", ">", ">="];

function enumValues<E extends number>(
  schema: { values: readonly { name: string; localName: string; number: number }[] },
  keep: (value: E) => boolean,
): EnumValue[] {
  return schema.values
    .filter((v) => keep(v.number as E))
    .map((v) => ({ name: v.name, shortName: v.localName, number: v.number }));
}

// TASK_STATUS_UNSPECIFIED is never stored, so it is not a value a filter can ask for.
const statusValues = enumValues<TaskStatus>(TaskStatusSchema, (v) => v !== TaskStatus.UNSPECIFIED);
const priorityValues = enumValues<Priority>(PrioritySchema, () => true);

const namedPriorities = priorityValues
  .filter((v) => v.number !== Priority.UNSPECIFIED)
  .map((v) => v.shortName);

/** Every filterable field, in the order they are listed in messages and docs. */
export const FILTER_FIELDS: readonly FieldSpec[] = [
  {
    name: "status",
    kind: "enum",
    column: "status",
    nullable: false,
    comparators: EQUALITY,
    presence: false,
    enumLabel: "status",
    enumValues: statusValues,
    enumHint: `use ${statusValues.map((v) => v.shortName).join(" or ")}`,
  },
  {
    name: "priority",
    kind: "enum",
    column: "priority",
    nullable: false,
    comparators: [...ORDERED, ":"],
    presence: false,
    enumLabel: "priority",
    enumValues: priorityValues,
    enumHint: `use one of ${namedPriorities.join(", ")} (or UNSPECIFIED)`,
  },
  { name: "tags", kind: "tags", column: "tag_keys", nullable: false, comparators: EQUALITY, presence: true },
  {
    name: "due_time",
    kind: "timestamp",
    column: "due_time",
    nullable: true,
    comparators: ORDERED,
    presence: true,
  },
  {
    name: "create_time",
    kind: "timestamp",
    column: "create_time",
    nullable: false,
    comparators: ORDERED,
    presence: true,
  },
  {
    name: "update_time",
    kind: "timestamp",
    column: "update_time",
    nullable: false,
    comparators: ORDERED,
    presence: true,
  },
  {
    name: "complete_time",
    kind: "timestamp",
    column: "complete_time",
    nullable: true,
    comparators: ORDERED,
    presence: true,
  },
  { name: "title", kind: "text", column: "title", nullable: false, comparators: EQUALITY, presence: false },
];

const byName = new Map<string, FieldSpec>(FILTER_FIELDS.map((f) => [f.name, f]));

/** The spec of a field by its exact (lower-case) name, or undefined. */
export function fieldSpec(name: string): FieldSpec | undefined {
  return byName.get(name);
}

/** The comma-separated list of field names, for messages. */
export const FIELD_LIST = FILTER_FIELDS.map((f) => f.name).join(", ");

/** The fields that accept a presence test, for messages. */
export const PRESENCE_FIELDS = FILTER_FIELDS.filter((f) => f.presence).map((f) => f.name);

/** Finds an enum value by full or short name, case-insensitively. */
export function findEnumValue(spec: FieldSpec, text: string): EnumValue | undefined {
  const upper = text.toUpperCase();
  return spec.enumValues?.find((v) => v.name === upper || v.shortName === upper);
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      current[j] = Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, (previous[j - 1] ?? 0) + cost);
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}

/** The field a mistyped name most likely meant (`prio` → `priority`, `tag` → `tags`), if any. */
export function suggestField(name: string): FilterField | undefined {
  const squash = (s: string) => s.toLowerCase().replace(/[_.-]/g, "");
  const wanted = squash(name);
  if (wanted.length === 0) return undefined;
  const exact = FILTER_FIELDS.find((f) => squash(f.name) === wanted);
  if (exact) return exact.name;
  if (wanted.length >= 3) {
    const prefix = FILTER_FIELDS.filter((f) => squash(f.name).startsWith(wanted));
    if (prefix.length === 1) return prefix[0]?.name;
  }
  let best: { field: FilterField; distance: number } | undefined;
  for (const f of FILTER_FIELDS) {
    const distance = editDistance(wanted, squash(f.name));
    if (distance <= 2 && (!best || distance < best.distance)) best = { field: f.name, distance };
  }
  return best?.field;
}
