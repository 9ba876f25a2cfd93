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
import type { FilterAst, FilterNode, RestrictionNode } from "./ast";
import { FIELD_LIST, fieldSpec, suggestField } from "./fields";
import { type FilterError, filterError, show } from "./filter-error";
import { COMPARATOR_CHARS, endsWord, FilterReader, isSpace } from "./reader";
import { fieldExample, interpretValue } from "./value";

/** The longest filter accepted, in UTF-16 code units. */
export const MAX_FILTER_LENGTH = 2000;
/** How deeply parentheses may nest. */
export const MAX_NESTING_DEPTH = 20;
/** How many restrictions (`field op value`) one filter may hold. */
export const MAX_RESTRICTIONS = 100;

const IDENTIFIER = /[A-Za-z_][A-Za-z0-9_.]*/y;

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

/** The grammar, over the reader's tokens. */
class Parser extends FilterReader {
  private depth = 0;
  private restrictions = 0;
  /** The end of the last term parsed, for node spans. */
  private lastEnd = 0;
  /** The last restriction when its value was an unquoted word, to explain `title = Buy milk`. */
  private lastWordValue: { end: number; field: string; raw: string } | undefined;

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
          `${name} takes ${spec.comparators.join(" ")}, e.g. ${fieldExample(spec)}`,
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
    const value = interpretValue(this.src, spec, comparator, comparatorAt, raw);
    this.lastEnd = raw.end;
    this.lastWordValue =
      !raw.quoted && (spec.kind === "text" || spec.kind === "tags")
        ? { end: raw.end, field: spec.name, raw: raw.text }
        : undefined;
    return { kind: "restriction", field: spec.name, comparator, value, offset: start, end: raw.end };
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

  private combine(kind: "and" | "or", operands: FilterNode[], start: number): FilterNode {
    const [only] = operands;
    if (operands.length === 1 && only) return only;
    const flat = operands.flatMap((o) => (o.kind === kind ? o.operands : [o]));
    return { kind, operands: flat, offset: start, end: this.lastEnd };
  }
}
