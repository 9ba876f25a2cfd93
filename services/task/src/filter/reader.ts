/**
 * The character-level reading of a filter: whitespace, keywords, words, quoted strings with their
 * escapes, comparators and raw values, each with the offset where it starts so errors can point
 * at it. The grammar on top of it is parser.ts; what a value means for its field is value.ts.
 */
import type { Comparator } from "./fields";
import { filterError, show } from "./filter-error";

/** The characters comparators are made of. */
export const COMPARATOR_CHARS = "=!<>:";

/** Whether `c` is whitespace. */
export function isSpace(c: string | undefined): boolean {
  return c !== undefined && /\s/.test(c);
}

/** Whether `c` ends a word: end of input, whitespace or a parenthesis. */
export function endsWord(c: string | undefined): boolean {
  return c === undefined || c === "(" || c === ")" || isSpace(c);
}

/** A value as written, before its field gives it a meaning. */
export interface RawValue {
  readonly text: string;
  readonly quoted: boolean;
  readonly offset: number;
  readonly end: number;
}

/** A position in a filter and the tokens that can be read there. */
export class FilterReader {
  protected pos = 0;

  constructor(protected readonly src: string) {}

  /** Reads a comparator here; undefined when none starts here, an error for `==`, `<>` and `!`. */
  protected readComparator(): Comparator | undefined {
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

  /** Reads the value after `comparator`: a quoted string or a word. */
  protected readValue(comparator: Comparator): RawValue {
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

  /** Reads a double-quoted string with backslash escapes, returning its text. */
  protected readQuoted(): { text: string } {
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

  /** Reads up to the end of the word here. */
  protected readWord(): string {
    const start = this.pos;
    while (!endsWord(this.peek())) this.pos += 1;
    return this.src.slice(start, this.pos);
  }

  /** Where the word starting at `from` ends, without moving. */
  protected readWordEnd(from: number): number {
    let end = from;
    while (!endsWord(this.src[end])) end += 1;
    return end;
  }

  /** Whether the keyword `word` (upper case, a whole word) starts here. */
  protected keyword(word: string): boolean {
    return this.src.startsWith(word, this.pos) && endsWord(this.src[this.pos + word.length]);
  }

  /** Moves past whitespace. */
  protected skipSpace(): void {
    while (isSpace(this.peek())) this.pos += 1;
  }

  /** The character here; undefined at the end. */
  protected peek(): string | undefined {
    return this.src[this.pos];
  }

  /** Whether the whole filter has been read. */
  protected atEnd(): boolean {
    return this.pos >= this.src.length;
  }
}
