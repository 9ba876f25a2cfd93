/**
 * A filter that cannot be parsed or compiled. The message is written for the person who typed the
 * filter (it names the problem, where it is, and what to write instead), so the service can return it
 * as the INVALID_ARGUMENT message unchanged.
 */
export class FilterError extends Error {
  /**
   * The 0-based offset (in UTF-16 code units) into the filter text where it broke; the message says
   * "column N" with N = offset + 1. (No `column` property: JavaScriptCore puts its own on every Error.)
   */
  readonly offset: number;

  constructor(message: string, offset: number) {
    super(message);
    this.name = "FilterError";
    this.offset = offset;
  }
}

/**
 * Builds a FilterError whose message reads `<problem> at column N[; <hint>]`, the one format every
 * filter error follows.
 */
export function filterError(problem: string, offset: number, hint?: string): FilterError {
  return new FilterError(`${problem} at column ${offset + 1}${hint ? `; ${hint}` : ""}`, offset);
}

/** User text as shown inside a message: quoted, escaped, and cut short when long. */
export function show(text: string): string {
  return JSON.stringify(text.length > 40 ? `${text.slice(0, 37)}...` : text);
}
