/**
 * The title and the spans of a quick-add line, once every phase has claimed its tokens: what is
 * left, with the original spacing, minus the connectors and separators the removals left dangling.
 */
import type { Claim } from "./claims.ts";
import { CLOSING, DANGLING, SEPARATORS } from "./connectors.ts";
import type { QuickAddSpan } from "./quick-add-types.ts";
import type { Token } from "./tokenize.ts";

/** The tokens of one line and the claim that owns each (undefined: it is part of the title). */
interface Owners {
  readonly text: string;
  readonly tokens: readonly Token[];
  readonly owner: (Claim | undefined)[];
}

/**
 * The title (every unclaimed token, with the original spacing, minus what removing the claimed
 * parts left dangling) and the spans (claims as character ranges; neighbouring due/recurrence/
 * reminder parts merged, dangling words given to the span that followed them).
 */
export function tidy(
  text: string,
  tokens: readonly Token[],
  claims: Claim[],
): { title: string; spans: QuickAddSpan[] } {
  const o: Owners = { text, tokens, owner: tokens.map(() => undefined) };
  for (const c of claims) for (let k = c.start; k < c.end; k++) o.owner[k] = c;
  let kept = tokens.map((_, k) => k).filter((k) => o.owner[k] === undefined);
  while (giveDanglingWord(o, kept)) kept = kept.filter((x) => o.owner[x] === undefined);
  const drop = strayPunctuation(o, kept);
  kept = kept.filter((k) => !drop.has(k));
  // leading separators after the drop above (", call mom")
  while (
    kept.length &&
    SEPARATORS.has(tokens[kept[0] as number]?.text ?? "") &&
    removedBetween(o, -1, kept[0] as number)
  )
    kept.shift();
  return { title: joinTitle(o, kept, drop), spans: mergedSpans(o) };
}

/** Whether a token strictly between `a` and `b` was claimed. */
function removedBetween(o: Owners, a: number, b: number): boolean {
  for (let k = a + 1; k < b; k++) if (o.owner[k] !== undefined) return true;
  return false;
}

/** The first claim after token `k`. */
function claimAfter(o: Owners, k: number): Claim | undefined {
  for (let j = k + 1; j < o.tokens.length; j++) if (o.owner[j] !== undefined) return o.owner[j];
  return undefined;
}

/**
 * Gives one connector left at the very end, or at the end of a clause, by a removed part after it
 * ("call mom at" after "3pm" went) to the claim that followed it. Whether it gave one away.
 */
function giveDanglingWord(o: Owners, kept: readonly number[]): boolean {
  const { tokens, owner } = o;
  for (let n = kept.length - 1; n >= 0; n--) {
    const k = kept[n] as number;
    const tok = tokens[k] as Token;
    const next = kept[n + 1];
    const endsClause =
      next === undefined || SEPARATORS.has(tokens[next]?.text ?? "") || CLOSING.has(tokens[next]?.text ?? "");
    if (
      !(
        tok.kind === "word" &&
        DANGLING.has(tok.lower) &&
        endsClause &&
        removedBetween(o, k, next ?? tokens.length)
      )
    )
      continue;
    const c = claimAfter(o, k);
    // "Go to #gym" keeps its "to": tags and priorities are not part of the sentence's grammar
    if (!c || c.kind === "tag" || c.kind === "priority") continue;
    for (let j = k; j < c.start; j++) if (owner[j] === undefined && tokens[j]?.kind === "word") owner[j] = c;
    c.start = Math.min(c.start, k);
    for (let j = c.start; j < c.end; j++) owner[j] = c;
    return true;
  }
  return false;
}

/** Separators at either end, doubled separators, and empty brackets left by a removal. */
function strayPunctuation(o: Owners, kept: readonly number[]): Set<number> {
  const { tokens } = o;
  const drop = new Set<number>();
  for (let n = 0; n < kept.length; n++) {
    const k = kept[n] as number;
    const tok = tokens[k] as Token;
    if (tok.kind !== "punct") continue;
    const prev = kept[n - 1];
    const next = kept[n + 1];
    const lonely = SEPARATORS.has(tok.text) || tok.text === ",";
    if (
      lonely &&
      (prev === undefined || next === undefined) &&
      (removedBetween(o, prev ?? -1, k) || removedBetween(o, k, next ?? tokens.length))
    ) {
      drop.add(k);
    } else if (
      lonely &&
      prev !== undefined &&
      tokens[prev]?.kind === "punct" &&
      SEPARATORS.has(tokens[prev]?.text ?? "") &&
      removedBetween(o, prev, k)
    ) {
      drop.add(k);
    } else if (["(", "[", "{"].includes(tok.text) && next !== undefined && removedBetween(o, k, next)) {
      const close = { "(": ")", "[": "]", "{": "}" }[tok.text];
      if (tokens[next]?.text === close) {
        drop.add(k);
        drop.add(next);
      }
    }
  }
  return drop;
}

/** The kept tokens joined: the original spacing, one space where something was removed. */
function joinTitle(o: Owners, kept: readonly number[], drop: ReadonlySet<number>): string {
  const { text, tokens } = o;
  let title = "";
  let prev: number | undefined;
  for (const k of kept) {
    const tok = tokens[k] as Token;
    if (prev !== undefined) {
      let gapRemoved = removedBetween(o, prev, k);
      for (let x = prev + 1; x < k && !gapRemoved; x++) gapRemoved = drop.has(x);
      if (gapRemoved) title += CLOSING.has(tok.text) && !/\s/.test(text[tok.start - 1] ?? "") ? "" : " ";
      else title += /\s/.test(text.slice((tokens[prev] as Token).end, tok.start)) ? " " : "";
    }
    title += tok.text;
    prev = k;
  }
  return title.trim();
}

/** The claims as character ranges in text order, neighbours of one kind (but tags and priorities) merged. */
function mergedSpans(o: Owners): QuickAddSpan[] {
  const { text, tokens } = o;
  const sorted = [...new Set(o.owner.filter((c): c is Claim => c !== undefined))].sort(
    (a, b) => a.start - b.start,
  );
  const spans: QuickAddSpan[] = [];
  for (const c of sorted) {
    const start = (tokens[c.start] as Token).start;
    const end = (tokens[c.end - 1] as Token).end;
    const last = spans[spans.length - 1];
    if (
      last &&
      last.kind === c.kind &&
      c.kind !== "tag" &&
      c.kind !== "priority" &&
      /^\s*$/.test(text.slice(last.end, start))
    ) {
      last.end = end;
      last.text = text.slice(last.start, end);
    } else spans.push({ start, end, kind: c.kind, text: text.slice(start, end) });
  }
  return spans;
}
