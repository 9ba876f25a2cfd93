/** How replies word things: counts, durations, quoted titles, "a" or "an". */

/** "1 task", "3 tasks". */
export function plural(count: number, one: string, many = `${one}s`): string {
  return `${count} ${count === 1 ? one : many}`;
}

/** "30 minutes", "1 hour", "2 days", "1 hour 30 minutes". */
export function formatDuration(ms: number): string {
  const minutes = Math.round(ms / 60_000);
  if (minutes === 0) return "0 minutes";
  const days = Math.floor(minutes / 1440);
  const hours = Math.floor((minutes % 1440) / 60);
  const mins = minutes % 60;
  const out: string[] = [];
  if (days > 0) out.push(plural(days, "day"));
  if (hours > 0) out.push(plural(hours, "hour"));
  if (mins > 0) out.push(plural(mins, "minute"));
  return out.join(" ");
}

/** A title in quotes, with its own double quotes made single. */
export function quote(s: string): string {
  return `"${s.replaceAll('"', "'")}"`;
}

/**
 * The indefinite article a phrase takes, by how its first word sounds: "an open task", "a completed
 * task", "an urgent task", "a #work task", "an hour", "a one-off", "a URL".
 */
export function article(phrase: string): "a" | "an" {
  const first =
    phrase
      .trim()
      .replace(/^[#"'(]+/, "")
      .split(/[\s,.;:!?)]/)[0] ?? "";
  // An abbreviation or a lone letter is read by its letters: "an SMS", "an X-ray", "a UTC time".
  if (/^(?:[A-Z]{2,5}s?|[A-Z](?:-.*)?)$/.test(first)) return /^[AEFHILMNORSX]/.test(first) ? "an" : "a";
  const word = first.toLowerCase();
  if (/^(?:hour|honest|honou?r|heir)/.test(word)) return "an";
  // A vowel that sounds like "you" or "won": "a unit", "a useful", "a one-off", "a European".
  if (/^(?:one(?:$|[^a-z])|once|uni(?!n)|us[eu]|ur[aei]|eu|ewe|u[bcfgklmprst][aeiou])/.test(word)) return "a";
  return /^[aeiou]/.test(word) ? "an" : "a";
}

/** The phrase with its indefinite article: "an open task", "a completed task". */
export function withArticle(phrase: string): string {
  return `${article(phrase)} ${phrase}`;
}
