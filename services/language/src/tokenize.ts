/**
 * Splits quick-add text into tokens that keep their offsets in the original text, so that every
 * recognised phrase can be reported as a span and cut out of the title exactly.
 */

/** What a token is. `quoted` text is never interpreted; it stays in the title as typed. */
export type TokenKind = "word" | "punct" | "tag" | "bang" | "quoted";

export interface Token {
  readonly kind: TokenKind;
  /** The token as typed. */
  readonly text: string;
  /** `text` in lower case with typographic apostrophes made plain, for matching. */
  readonly lower: string;
  /** Offset of the first character in the original text. */
  readonly start: number;
  /** Offset just after the last character. */
  readonly end: number;
}

// One alternative per token kind, tried in order at each position:
// 1 quoted text ("…", “…”, or '…' standing apart from words); an unclosed double quote runs to the end,
// so typing an opening quote protects the rest of the line while the user is still typing;
// 2 #tag; 3 !bang (priority); 4 a word (letters and digits, joined by : . ' ’ - / inside, so 9:30,
// p:high, 12/24, 2027-12-24, o'clock and a.m stay whole); 5 any other single character.
const TOKEN =
  /("[^"]*"?|“[^”]*”?|(?<![\p{L}\p{N}])'[^'\n]*'(?![\p{L}\p{N}]))|(#[\p{L}\p{N}_\-/]+)|(!+[\p{L}\p{N}:]*)|([\p{L}\p{N}]+(?:[:.'’\-/][\p{L}\p{N}]+)*)|(\S)/gu;

const ALNUM = /[\p{L}\p{N}]/u;

/** The tokens of `text`, in order. Whitespace separates tokens and is not a token itself. */
export function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  const push = (kind: TokenKind, start: number, end: number) => {
    const raw = text.slice(start, end);
    tokens.push({ kind, text: raw, lower: raw.toLowerCase().replace(/’/g, "'"), start, end });
  };
  TOKEN.lastIndex = 0;
  for (let m = TOKEN.exec(text); m !== null; m = TOKEN.exec(text)) {
    const start = m.index;
    const end = start + m[0].length;
    if (m[1] !== undefined) push("quoted", start, end);
    else if (m[2] !== undefined || m[3] !== undefined) {
      // "C#" and "every!" are not tags or priorities: only a # or ! that starts a word counts.
      if (start > 0 && ALNUM.test(text[start - 1] ?? "")) {
        push("punct", start, start + 1);
        TOKEN.lastIndex = start + 1;
      } else push(m[2] !== undefined ? "tag" : "bang", start, end);
    } else if (m[4] !== undefined) push("word", start, end);
    else push("punct", start, end);
  }
  return tokens;
}
