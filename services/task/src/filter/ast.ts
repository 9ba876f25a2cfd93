/**
 * The syntax tree of a `ListTasks` filter, as produced by `parseFilter`. Every node keeps where it came
 * from in the source (`offset`/`end`, 0-based UTF-16 offsets, `end` exclusive) so a UI can highlight it.
 *
 * Values are already checked against their field (an unknown priority or a malformed date never makes a
 * tree) but times are kept symbolic: `today+7d` only becomes an instant once the caller's clock and time
 * zone are known, in `compileFilter`.
 */
import type { Comparator, FilterField } from "./fields";

export type { Comparator, FilterField } from "./fields";

/** A parsed filter. `root` is null for an empty or blank filter, which matches every task. */
export interface FilterAst {
  readonly source: string;
  readonly root: FilterNode | null;
}

/** Any node of the tree. */
export type FilterNode = AndNode | OrNode | NotNode | RestrictionNode;

interface Span {
  /** Where the node starts in the source. */
  readonly offset: number;
  /** Where it ends (exclusive). */
  readonly end: number;
}

/** All operands must hold. Written `a AND b` or just `a b`. Always at least two operands. */
export interface AndNode extends Span {
  readonly kind: "and";
  readonly operands: readonly FilterNode[];
}

/** At least one operand must hold (`a OR b`). Always at least two operands. */
export interface OrNode extends Span {
  readonly kind: "or";
  readonly operands: readonly FilterNode[];
}

/** The exact complement of its operand. Written `NOT a` or `-a`. */
export interface NotNode extends Span {
  readonly kind: "not";
  readonly syntax: "NOT" | "-";
  readonly operand: FilterNode;
}

/** One comparison: `field comparator value`, e.g. `priority >= HIGH`. */
export interface RestrictionNode extends Span {
  readonly kind: "restriction";
  readonly field: FilterField;
  readonly comparator: Comparator;
  readonly value: FilterValue;
}

/** A restriction's right-hand side, already interpreted for its field. */
export type FilterValue = PresenceValue | EnumLiteral | TextLiteral | TimeLiteral;

interface ValueSpan extends Span {
  /** The value exactly as written (with quotes, if it was quoted). */
  readonly raw: string;
}

/** `field:*` — the field has a value (a due time is set; at least one tag). */
export interface PresenceValue extends ValueSpan {
  readonly type: "presence";
}

/** An enum value, resolved from its full or short name. */
export interface EnumLiteral extends ValueSpan {
  readonly type: "enum";
  /** The full protobuf name, e.g. `PRIORITY_HIGH`. */
  readonly name: string;
  readonly number: number;
}

/** A string: a tag name (trimmed and lower-cased, as tags are stored) or title text (as written). */
export interface TextLiteral extends ValueSpan {
  readonly type: "text";
  readonly text: string;
}

/** A point in time, possibly relative to the caller's clock or time zone. */
export interface TimeLiteral extends ValueSpan {
  readonly type: "time";
  readonly time: TimeValue;
}

/** The forms a time value can take. */
export type TimeValue =
  /** An RFC 3339 timestamp with `Z` or an offset: an absolute instant (millisecond precision). */
  | { readonly kind: "instant"; readonly epochMilliseconds: number }
  /** A date (`2026-12-01`): the start of that day in the caller's time zone. */
  | { readonly kind: "date"; readonly date: string }
  /** A date and time without an offset (`2026-12-01T09:00`): that wall-clock time in the caller's zone. */
  | { readonly kind: "local"; readonly dateTime: string }
  /** `now` or `today`, optionally shifted (`today+7d` → amount 7, unit "d"; `now-2h` → amount -2, "h"). */
  | {
      readonly kind: "relative";
      readonly base: "now" | "today";
      readonly offset: { readonly amount: number; readonly unit: TimeUnit } | null;
    };

/** Offset units: seconds, minutes, hours (exact durations); days and weeks (calendar days). */
export type TimeUnit = "s" | "m" | "h" | "d" | "w";
