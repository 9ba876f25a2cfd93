/** IANA time-zone names, checked against the runtime's time-zone database. */

const cache = new Map<string, string | undefined>();

/**
 * The canonical spelling of an IANA time zone (`europe/berlin` → `Europe/Berlin`), or undefined when
 * the runtime does not know it. Fixed offsets such as `+02:00` are refused: a task's wall-clock time
 * must follow its zone's DST rules.
 */
export function canonicalTimeZone(name: string): string | undefined {
  if (cache.has(name)) return cache.get(name);
  let result: string | undefined;
  if (/^[A-Za-z][A-Za-z0-9_+\-/]*$/.test(name) && name.length <= 64) {
    try {
      result = new Intl.DateTimeFormat("en-US", { timeZone: name }).resolvedOptions().timeZone;
    } catch {
      result = undefined;
    }
  }
  if (cache.size < 10_000) cache.set(name, result);
  return result;
}
