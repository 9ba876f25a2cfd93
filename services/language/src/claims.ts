/**
 * The claims of one quick-add parse: each phase claims the tokens of what it read (with the
 * connectors right before it), so that no later phase reads them again and the title is what is left.
 */
import type { QuickAddSpanKind } from "./quick-add-types.ts";
import type { Scanner } from "./scanner.ts";

/** Tokens [start, end) that produced one field. */
export interface Claim {
  start: number;
  end: number;
  kind: QuickAddSpanKind;
}

/**
 * Claims tokens [start, end) for a field, together with any unclaimed `connectors` right before
 * them ("on" in "on Friday").
 */
export type Take = (
  start: number,
  end: number,
  kind: QuickAddSpanKind,
  connectors?: ReadonlySet<string>,
) => void;

/** A {@link Take} over scanner `s` that records each claim in `claims`. */
export function claimer(s: Scanner, claims: Claim[]): Take {
  return (start, end, kind, connectors) => {
    let first = start;
    while (connectors && first > 0 && !s.used[first - 1] && connectors.has(s.tokens[first - 1]?.lower ?? ""))
      first--;
    s.claim(first, end);
    claims.push({ start: first, end, kind });
  };
}
