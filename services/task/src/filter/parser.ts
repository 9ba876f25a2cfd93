/**
 * The parser of the `ListTasks` filter language, a subset of AIP-160 (see docs/filtering.md).
 *
 * A small hand-written recursive-descent parser: the grammar is tiny, but its tokens depend on where
 * they stand (`today-7d` and `2026-12-01T09:00:00+02:00` are single values although `-` and `:` are
 * operators elsewhere), and every error must say where it broke and what to write instead — both
 * simpler to get right by hand than through a generated parser.
 *
 * Grammar, following AIP-160's precedence (OR binds tighter than AND):
 *
 *   filter      = [ expression ]
 *   expression  = sequence { "AND" sequence }
 *   sequence    = factor { factor }                 (adjacent terms: an implicit AND)
 *   factor      = term { "OR" term }
 *   term        = [ "NOT" | "-" ] simple
 *   simple      = restriction | "(" expression ")"
 *   restriction = field comparator value
 */
import type { FilterAst, FilterNode, FilterValue, RestrictionNode } from "./ast";
import {
  type Comparator,
  FIELD_LIST,
  type FieldSpec,
  fieldSpec,
  findEnumValue,
  PRESENCE_FIELDS,
  suggestField,
} from "./fields";
import { type FilterError, filterError, show } from "./filter-error";
import { parseTimeValue } from "./time-value";

/** The longest filter accepted, in UTF-16 code units. */
export const MAX_FILTER_LENGTH = 2000;
/** How deeply parentheses may nest. */
export const MAX_NESTING_DEPTH = 20;
/** How many restrictions (`field op value`) one filter may hold. */
export const MAX_RESTRICTIONS = 100;

const COMPARATOR_CHARS = "=!<>:";
const IDENTIFIER = /[A-Za-z_][A-Za-z0-9_.]*/y;

function isSpace(c: string | undefined): boolean {
  return c !== undefined && /\s/.test(c);
}

/** Whether `c` ends a word: end of input, whitespace or a parenthesis. */
function endsWord(c: string | undefined): boolean {
  return c === undefined || c === "(" || c === ")" || isSpace(c);
}

/**
 * Parses a filter into its syntax tree, checking every field, operator and value. Times stay symbolic
 * (see `TimeValue`); `compileFilter` resolves them for a caller. An empty or blank filter gives
 * `root: null`.
 *
 * @throws FilterError with the offset where the filter broke and a message the user can act on.
 */
export function parseFilter(filter: string): FilterAst {
  if (filter.length > MAX_FILTER_LENGTH) {
    throw filterError(
      `the filter is too long (${filter.length} characters)`,
      MAX_FILTER_LENGTH,
      `at most ${MAX_FILTER_LENGTH} are allowed`,
    );
  }
  const nul = filter.indexOf("\u0000");
  if (nul >= 0) throw filterError("unexpected NUL character", nul);
  return { source: filter, root: new Parser(filter).parse() };
}

interface RawValue {
  text: string;
  quoted: boolean;
  offset: number;
  end: number;
}

class Parser {
  private pos = 0;
  private depth = 0;
  private restrictions = 0;
  /** The end of the last term parsed, for node spans. */
  private lastEnd = 0;
  /** The last restriction when its value was an unquoted word, to explain `title = Buy milk`. */
  private lastWordValue: { end: number; field: string; raw: string } | undefined;

  constructor(private readonly src: string) {}

  parse(): FilterNode | null {
    this.skipSpace();
    if (this.atEnd()) return null;
    const node = this.expression();
    this.skipSpace();
    if (!this.atEnd()) {
      // An expression stops early only at a ")" with nothing to close.
      throw filterError("unbalanced parenthesis", this.pos, '")" has no matching "("');
    }
    return node;
  }

  // expression = sequence { "AND" sequence }
  private expression(): FilterNode {
    this.skipSpace();
    const start = this.pos;
    const operands = [this.sequence()];
    for (;;) {
      this.skipSpace();
      if (!this.keyword("AND")) break;
      this.pos += 3;
      operands.push(this.sequence("AND"));
    }
    return this.combine("and", operands, start);
  }

  // sequence = factor { factor }
  private sequence(after?: string): FilterNode {
    this.skipSpace();
    const start = this.pos;
    const operands = [this.factor(after)];
    for (;;) {
      this.skipSpace();
      if (this.atEnd() || this.peek() === ")" || this.keyword("AND")) break;
      operands.push(this.factor());
    }
    return this.combine("and", operands, start);
  }

  // factor = term { "OR" term }
  private factor(after?: string): FilterNode {
    this.skipSpace();
    const start = this.pos;
    const operands = [this.term(after)];
    for (;;) {
      this.skipSpace();
      if (!this.keyword("OR")) break;
      this.pos += 2;
      operands.push(this.term("OR"));
    }
    return this.combine("or", operands, start);
  }

  // term = [ "NOT" | "-" ] simple
  private term(after?: string): FilterNode {
    this.skipSpace();
    const start = this.pos;
    this.expectTerm(after);
    if (this.keyword("NOT")) {
      this.pos += 3;
      this.skipSpace();
      this.expectTerm("NOT");
      this.refuseStackedNegation("NOT");
      const operand = this.simple();
      return { kind: "not", syntax: "NOT", operand, offset: start, end: this.lastEnd };
    }
    if (this.peek() === "-") {
      this.pos += 1;
      const next = this.peek();
      if (next === undefined || next === ")" || isSpace(next)) {
        throw filterError(
          'expected a restriction right after "-"',
          this.pos,
          "write -tags:* with no space, or use NOT",
        );
      }
      if (/[0-9]/.test(next)) {
        throw filterError(
          `unexpected ${show(`-${this.readWord()}`)}`,
          start,
          "write time offsets without spaces, e.g. due_time < today-7d",
        );
      }
      this.refuseStackedNegation("-");
      const operand = this.simple();
      return { kind: "not", syntax: "-", operand, offset: start, end: this.lastEnd };
    }
    return this.simple();
  }

  /** Fails unless a term can start here; `after` names what came before, for the message. */
  private expectTerm(after: string | undefined): void {
    if (this.atEnd() || this.peek() === ")") {
      if (after)
        throw filterError(`expected a restriction after ${show(after)}`, this.pos, "e.g. status = OPEN");
      throw filterError("unbalanced parenthesis", this.pos, '")" has no matching "("');
    }
    for (const word of ["AND", "OR"]) {
      if (this.keyword(word)) {
        throw filterError(
          `unexpected ${show(word)}`,
          this.pos,
          after ? `expected a restriction after ${show(after)}` : "AND and OR go between two restrictions",
        );
      }
    }
  }

  private refuseStackedNegation(first: string): void {
    if (this.keyword("NOT") || this.peek() === "-") {
      throw filterError(
        `expected a restriction or "(" after ${show(first)}`,
        this.pos,
        "a negation cannot be negated again directly; write NOT (NOT ...) if you mean it",
      );
    }
  }

  // simple = restriction | "(" expression ")"
  private simple(): FilterNode {
    if (this.peek() !== "(") return this.restriction();
    const open = this.pos;
    if (++this.depth > MAX_NESTING_DEPTH) {
      throw filterError(
        "parentheses are nested too deeply",
        open,
        `at most ${MAX_NESTING_DEPTH} levels are allowed`,
      );
    }
    this.pos += 1;
    this.skipSpace();
    if (this.peek() === ")")
      throw filterError("empty parentheses", open, "put a restriction inside, e.g. (tags:work)");
    if (this.atEnd()) throw filterError("unbalanced parenthesis", open, '"(" is never closed');
    const node = this.expression();
    this.skipSpace();
    if (this.peek() !== ")") throw filterError("unbalanced parenthesis", open, '"(" is never closed');
    this.pos += 1;
    this.depth -= 1;
    this.lastEnd = this.pos;
    return node;
  }

  // restriction = field comparator value
  private restriction(): RestrictionNode {
    const start = this.pos;
    if (++this.restrictions > MAX_RESTRICTIONS) {
      throw filterError(
        "too many restrictions",
        start,
        `at most ${MAX_RESTRICTIONS} are allowed in one filter`,
      );
    }
    const first = this.peek() ?? "";
    if (first === '"') {
      const value = this.readQuoted();
      throw this.bareWord(value.text, start);
    }
    if (first !== "" && COMPARATOR_CHARS.includes(first)) {
      throw filterError(`expected a field name before ${show(first)}`, start, `fields: ${FIELD_LIST}`);
    }
    if (first === "+" && /[0-9]/.test(this.src[this.pos + 1] ?? "")) {
      throw filterError(
        `unexpected ${show(this.readWord())}`,
        start,
        "write time offsets without spaces, e.g. due_time < today+7d",
      );
    }

    IDENTIFIER.lastIndex = this.pos;
    const name = IDENTIFIER.exec(this.src)?.[0] ?? "";
    const afterName = this.src[this.pos + name.length];
    if (name === "" || !(endsWord(afterName) || COMPARATOR_CHARS.includes(afterName ?? ""))) {
      throw this.bareWord(this.readWord(), start);
    }
    this.pos += name.length;
    const nameEnd = this.pos;
    this.skipSpace();
    const comparatorAt = this.pos;
    const comparator = this.readComparator();

    if (comparator === undefined) {
      const spec = fieldSpec(name);
      if (spec) {
        throw filterError(
          `expected an operator after ${show(name)}`,
          comparatorAt,
          `${name} takes ${spec.comparators.join(" ")}, e.g. ${example(spec)}`,
        );
      }
      if (["and", "or", "not"].includes(name.toLowerCase())) {
        throw filterError(
          `${show(name)} is not an operator here`,
          start,
          "write AND, OR and NOT in capitals",
        );
      }
      this.pos = nameEnd;
      throw this.bareWord(name, start);
    }

    const spec = fieldSpec(name);
    if (!spec) {
      const guess = suggestField(name);
      throw filterError(
        `unknown field ${show(name)}`,
        start,
        `${guess ? `did you mean "${guess}"? ` : ""}fields: ${FIELD_LIST}`,
      );
    }

    this.skipSpace();
    const raw = this.readValue(comparator);
    const value = this.interpret(spec, comparator, comparatorAt, raw);
    this.lastEnd = raw.end;
    this.lastWordValue =
      !raw.quoted && (spec.kind === "text" || spec.kind === "tags")
        ? { end: raw.end, field: spec.name, raw: raw.text }
        : undefined;
    return { kind: "restriction", field: spec.name, comparator, value, offset: start, end: raw.end };
  }

  private readComparator(): Comparator | undefined {
    const two = this.src.slice(this.pos, this.pos + 2);
    if (two === "==") throw filterError('unknown operator "=="', this.pos, "use =");
    if (two === "<>") throw filterError('unknown operator "<>"', this.pos, "use !=");
    if (two === "<=" || two === ">=" || two === "!=") {
      this.pos += 2;
      return two;
    }
    const one = this.peek();
    if (one === "!")
      throw filterError('unknown operator "!"', this.pos, "use != (or NOT before a restriction)");
    if (one === "<" || one === ">" || one === "=" || one === ":") {
      this.pos += 1;
      return one;
    }
    return undefined;
  }

  private readValue(comparator: Comparator): RawValue {
    const offset = this.pos;
    const next = this.peek();
    if (next === undefined || next === ")") {
      throw filterError(`expected a value after ${show(comparator)}`, offset);
    }
    if (next === "(") {
      throw filterError(
        `expected a value after ${show(comparator)}`,
        offset,
        "parentheses cannot group values; write (status = OPEN OR status = COMPLETED)",
      );
    }
    if (next === '"') {
      const { text } = this.readQuoted();
      if (!endsWord(this.peek())) {
        throw filterError("expected a space after the quoted value", this.pos);
      }
      return { text, quoted: true, offset, end: this.pos };
    }
    const text = this.readWord();
    const quote = text.indexOf('"');
    if (quote >= 0) {
      throw filterError(
        `unexpected '"' inside a value`,
        offset + quote,
        'quote the whole value, e.g. title:"say \\"hi\\""',
      );
    }
    return { text, quoted: false, offset, end: this.pos };
  }

  private interpret(
    spec: FieldSpec,
    comparator: Comparator,
    comparatorAt: number,
    raw: RawValue,
  ): FilterValue {
    const span = { raw: this.src.slice(raw.offset, raw.end), offset: raw.offset, end: raw.end };
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
        `${field} takes ${spec.comparators.join(" ")}, e.g. ${example(spec)}`,
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
        this.refuseWildcard(raw, field);
        const tag = raw.text.trim().toLowerCase();
        if (tag === "")
          throw filterError(
            "a tag cannot be empty",
            raw.offset,
            "to find tasks without tags write NOT tags:*",
          );
        return { type: "text", text: tag, ...span };
      }
      case "text":
        this.refuseWildcard(raw, field);
        return { type: "text", text: raw.text, ...span };
      case "timestamp":
        return { type: "time", time: parseTimeValue(raw.text, textOffset, field), ...span };
    }
  }

  private refuseWildcard(raw: RawValue, field: string): void {
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

  private bareWord(word: string, offset: number): FilterError {
    const previous = this.lastWordValue;
    if (previous && previous.end < offset && this.src.slice(previous.end, offset).trim() === "") {
      const joined = this.src.slice(previous.end - previous.raw.length, this.readWordEnd(offset));
      return filterError(
        `${show(word)} has no field`,
        offset,
        `to match text with spaces, quote it: ${previous.field} = ${JSON.stringify(joined)}`,
      );
    }
    return filterError(
      `${show(word)} has no field`,
      offset,
      "a filter compares a field with a value (e.g. title:meeting); for free-text search use the query field of ListTasks instead",
    );
  }

  /** Reads a double-quoted string with backslash escapes, returning its text. */
  private readQuoted(): { text: string } {
    const start = this.pos;
    this.pos += 1;
    let text = "";
    for (;;) {
      const c = this.peek();
      if (c === undefined) throw filterError("unterminated string", start, 'close it with "');
      if (c === '"') {
        this.pos += 1;
        return { text };
      }
      if (c !== "\\") {
        text += c;
        this.pos += 1;
        continue;
      }
      const escaped = this.src[this.pos + 1];
      const simpleEscapes: Record<string, string> = {
        '"': '"',
        "\\": "\\",
        "'": "'",
        n: "\n",
        r: "\r",
        t: "\t",
      };
      const simpleEscape = escaped === undefined ? undefined : simpleEscapes[escaped];
      if (simpleEscape !== undefined) {
        text += simpleEscape;
        this.pos += 2;
        continue;
      }
      const hex = this.src.slice(this.pos + 2, this.pos + 6);
      if (escaped === "u" && /^[0-9A-Fa-f]{4}$/.test(hex)) {
        const code = Number.parseInt(hex, 16);
        if (code === 0) throw filterError("unexpected NUL character", this.pos);
        text += String.fromCharCode(code);
        this.pos += 6;
        continue;
      }
      throw filterError(
        `unknown escape ${show(`\\${escaped ?? ""}`)}`,
        this.pos,
        'inside quotes write \\" for a quote, \\\\ for a backslash, \\n \\t \\r or \\uXXXX',
      );
    }
  }

  private readWord(): string {
    const start = this.pos;
    while (!endsWord(this.peek())) this.pos += 1;
    return this.src.slice(start, this.pos);
  }

  private readWordEnd(from: number): number {
    let end = from;
    while (!endsWord(this.src[end])) end += 1;
    return end;
  }

  /** Whether the keyword `word` (upper case, a whole word) starts here. */
  private keyword(word: string): boolean {
    return this.src.startsWith(word, this.pos) && endsWord(this.src[this.pos + word.length]);
  }

  private combine(kind: "and" | "or", operands: FilterNode[], start: number): FilterNode {
    const [only] = operands;
    if (operands.length === 1 && only) return only;
    const flat = operands.flatMap((o) => (o.kind === kind ? o.operands : [o]));
    return { kind, operands: flat, offset: start, end: this.lastEnd };
  }

  private skipSpace(): void {
    while (isSpace(this.peek())) this.pos += 1;
  }

  private peek(): string | undefined {
    return this.src[this.pos];
  }

  private atEnd(): boolean {
    return this.pos >= this.src.length;
  }
}

function example(spec: FieldSpec): string {
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
