/**
 * `ListTasks.query`: the words of a search. Each word matches as a prefix (`meet` finds "meeting") or,
 * for a likely typo, as a known word close to it (`meetnig` → "meeting"); every word must match. Words
 * are reduced to letters and digits, so what reaches `to_tsquery` is always well-formed.
 */

/** At most this many words of a query are used. */
export const MAX_TERMS = 8;

/** The search words of `query`, lower-cased and de-duplicated. */
export function searchTerms(query: string): string[] {
  const words = query.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
  return [...new Set(words)].slice(0, MAX_TERMS);
}

/**
 * Two `to_tsquery('simple', …)` texts: `exact` matches each term as a prefix; `widened` also accepts
 * the similar known words of each term. `similar` maps a term to those words.
 */
export function buildTsQueries(
  terms: readonly string[],
  similar: ReadonlyMap<string, readonly string[]>,
): { exact: string; widened: string } {
  const exact = terms.map((t) => `${t}:*`).join(" & ");
  const widened = terms
    .map((t) => {
      const alternatives = (similar.get(t) ?? []).filter((w) => /^[\p{L}\p{N}]+$/u.test(w) && w !== t);
      return alternatives.length === 0 ? `${t}:*` : `(${[`${t}:*`, ...alternatives].join(" | ")})`;
    })
    .join(" & ");
  return { exact, widened };
}
