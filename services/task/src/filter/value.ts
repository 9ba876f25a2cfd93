/**
 * What a filter value means for its field: an enum name, a tag, text, a time, or the presence test
 * `field:*` — refused with a message that says what to write when the field or comparator does not
 * take it.
 */
import type { FilterValue } from "./ast";
import { type Comparator, type FieldSpec, findEnumValue, PRESENCE_FIELDS } from "./fields";
import { filterError, show } from "./filter-error";
import type { RawValue } from "./reader";
import { parseTimeValue } from "./time-value";

/** The value `raw` compared with `comparator` (at `comparatorAt`) for field `spec`, in filter `src`. */
export function interpretValue(
  src: string,
  spec: FieldSpec,
  comparator: Comparator,
  comparatorAt: number,
  raw: RawValue,
): FilterValue {
  const span = { raw: src.slice(raw.offset, raw.end), offset: raw.offset, end: raw.end };
  const field = spec.name;
  if (!raw.quoted && raw.text === "*") {
    if (!spec.presence) {
      throw filterError(
        `${show(`${field}:*`)} is not supported`,
        raw.offset,
        `every task has a ${field}; the presence test works on ${PRESENCE_FIELDS.join(", ")}`,
      );
    }
    if (comparator !== ":") {
      throw filterError(
        `"*" can only follow ":"`,
        raw.offset,
        `write ${field}:* to test that ${field} is set`,
      );
    }
    return { type: "presence", ...span };
  }
  if (!spec.comparators.includes(comparator)) {
    if (spec.kind === "timestamp" && comparator === ":") {
      throw filterError(
        `":" cannot compare ${field} with a value`,
        comparatorAt,
        `use = != < <= > >= (e.g. ${field} < today+7d), or ${field}:* to test that it is set`,
      );
    }
    throw filterError(
      `${show(comparator)} cannot be used with ${field}`,
      comparatorAt,
      `${field} takes ${spec.comparators.join(" ")}, e.g. ${fieldExample(spec)}`,
    );
  }
  // Positions inside a quoted value are shifted by its opening quote.
  const textOffset = raw.offset + (raw.quoted ? 1 : 0);
  switch (spec.kind) {
    case "enum": {
      const found = findEnumValue(spec, raw.text);
      if (!found)
        throw filterError(`${show(raw.text)} is not a ${spec.enumLabel}`, textOffset, spec.enumHint);
      return { type: "enum", name: found.name, number: found.number, ...span };
    }
    case "tags": {
      refuseWildcard(raw, field);
      const tag = raw.text.trim().toLowerCase();
      if (tag === "")
        throw filterError("a tag cannot be empty", raw.offset, "to find tasks without tags write NOT tags:*");
      return { type: "text", text: tag, ...span };
    }
    case "text":
      refuseWildcard(raw, field);
      return { type: "text", text: raw.text, ...span };
    case "timestamp":
      return { type: "time", time: parseTimeValue(raw.text, textOffset, field), ...span };
  }
}

function refuseWildcard(raw: RawValue, field: string): void {
  const star = raw.text.indexOf("*");
  if (raw.quoted || star < 0) return;
  throw filterError(
    "wildcards are not supported",
    raw.offset + star,
    `${field}:${raw.text.replaceAll("*", "") || "word"} already matches ${
      field === "title" ? "any title containing that text" : "that tag"
    }; quote the value to match a literal *`,
  );
}

/** A restriction on `spec`'s field, for messages: `status = OPEN`. */
export function fieldExample(spec: FieldSpec): string {
  switch (spec.name) {
    case "status":
      return "status = OPEN";
    case "priority":
      return "priority >= HIGH";
    case "tags":
      return "tags:work";
    case "title":
      return "title:meeting";
    default:
      return `${spec.name} < today+7d`;
  }
}
