/**
 * The text rule of every request string field, read from the contract (`todo/validation/v1/text.proto`):
 * a string must be well-formed Unicode and hold no control character (U+0000–U+001F, U+007F–U+009F),
 * except tab, line feed and carriage return in a field marked `(todo.validation.v1.multiline)`.
 * It walks every field of the message — nested messages, lists and maps included — so a field added
 * to the proto tomorrow is covered without anyone remembering to list it. NUL in particular would
 * otherwise reach PostgreSQL, which cannot store it in text and fails with an internal error.
 */
import { type DescField, type DescMessage, getOption, type Message, ScalarType } from "@bufbuild/protobuf";
import { type ReflectMessage, reflect } from "@bufbuild/protobuf/reflect";
import { configureTextEncoding, getTextEncoding } from "@bufbuild/protobuf/wire";
import { multiline } from "@todo/gen/todo/validation/v1/text_pb";
import type { FieldViolation } from "./errors";

/** Every control character (Unicode category Cc), or an unpaired surrogate (not well-formed text). */
const BAD = /[\p{Cc}\p{Cs}]/gu;
/** The control characters a multi-line field may hold: tab, line feed, carriage return. */
const LINE_BREAKS = new Set(["\t", "\n", "\r"]);

/** The first character of `text` the field may not hold. */
function firstBad(text: string, multiLine: boolean): RegExpExecArray | undefined {
  for (const match of text.matchAll(BAD)) {
    if (!(multiLine && LINE_BREAKS.has(match[0]))) return match;
  }
  return undefined;
}

/** What is wrong with `text` in a field that is (or is not) multi-line; undefined when nothing is. */
export function textProblem(text: string, multiLine: boolean): string | undefined {
  const match = firstBad(text, multiLine);
  if (!match) return undefined;
  const char = match[0];
  const code = char.codePointAt(0) ?? 0;
  const position = [...text.slice(0, match.index)].length + 1;
  if (code >= 0xd800 && code <= 0xdfff) {
    return "is not valid UTF-8 text (invalid bytes, or an unpaired surrogate escape); send well-formed Unicode";
  }
  const name = `U+${code.toString(16).toUpperCase().padStart(4, "0")}`;
  const allowed = multiLine
    ? "only tab, line feed and carriage return are allowed"
    : "this field is one line of text, so no control characters (tab and line feed included) are allowed";
  return `must not contain the control character ${name} (at character ${position}); ${allowed}`;
}

function checkString(field: DescField, value: unknown, path: string, out: FieldViolation[]): void {
  if (typeof value !== "string") return;
  const problem = textProblem(value, getOption(field, multiline));
  if (problem) out.push({ field: path, description: problem });
}

function walk(message: ReflectMessage, prefix: string, out: FieldViolation[]): void {
  for (const field of message.fields) {
    if (!message.isSet(field)) continue;
    const path = `${prefix}${field.name}`;
    switch (field.fieldKind) {
      case "scalar":
        if (field.scalar === ScalarType.STRING) checkString(field, message.get(field), path, out);
        break;
      case "message":
        walk(message.get(field), `${path}.`, out);
        break;
      case "list": {
        let i = 0;
        for (const item of message.get(field)) {
          if (field.listKind === "scalar" && field.scalar === ScalarType.STRING) {
            checkString(field, item, `${path}[${i}]`, out);
          } else if (field.listKind === "message") walk(item as ReflectMessage, `${path}[${i}].`, out);
          i++;
        }
        break;
      }
      case "map":
        for (const [key, item] of message.get(field)) {
          const at = `${path}[${JSON.stringify(key)}]`;
          if (field.mapKey === ScalarType.STRING) {
            const problem = textProblem(String(key), false);
            if (problem) out.push({ field: `${path} key ${JSON.stringify(key)}`, description: problem });
          }
          if (field.mapKind === "scalar" && field.scalar === ScalarType.STRING)
            checkString(field, item, at, out);
          else if (field.mapKind === "message") walk(item as ReflectMessage, `${at}.`, out);
        }
        break;
    }
  }
}

/** The mark {@link markInvalidUtf8} leaves: an unpaired low surrogate, which well-formed text never has. */
const INVALID_UTF8_MARK = "\udc00";
let marking = false;

/**
 * Makes protobuf-es decode invalid UTF-8 in a binary string field (gRPC, Connect with
 * `application/proto`) as the bytes' lenient decoding followed by an unpaired surrogate, instead of
 * throwing. protobuf-es does refuse such bytes, but Connect turns that parse error into INTERNAL
 * ("parse binary: …") before any interceptor runs; with the mark, the validation interceptor sees the
 * string, finds it is not well-formed, and answers INVALID_ARGUMENT naming the field, like a JSON
 * body's unpaired surrogate escape. (A JSON body's invalid bytes are refused by the server's strict
 * JSON decoder, see request-limits.ts.) It applies to every binary decode in the process — the
 * services' own events are encoded from validated strings, so they never carry the mark. Idempotent.
 */
export function markInvalidUtf8(): void {
  if (marking) return;
  marking = true;
  const base = getTextEncoding();
  configureTextEncoding({
    ...base,
    decodeUtf8(bytes, strict) {
      try {
        return base.decodeUtf8(bytes, strict);
      } catch {
        return base.decodeUtf8(bytes, false) + INVALID_UTF8_MARK;
      }
    },
  });
}

/**
 * The text violations of `message` (of type `schema`): one per offending string, with the field's
 * path as the other validators write it (`task.description`, `task.tags[2]`, `update_mask.paths[0]`).
 */
export function textFieldViolations(schema: DescMessage, message: Message): FieldViolation[] {
  const out: FieldViolation[] = [];
  walk(reflect(schema, message), "", out);
  return out;
}
