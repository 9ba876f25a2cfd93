/**
 * Word tables whose misses are misses. A plain object literal inherits `constructor`, `toString`,
 * `__proto__` … from Object.prototype, so looking up a typed word such as "constructor" would find
 * a function ("fix constructor bug" lost a word of its title and got a function as its priority).
 * These tables have no prototype: only their own words are in them.
 */

/** A read-only table holding exactly `entries`. */
export function wordTable<T>(entries: Readonly<Record<string, T>>): Readonly<Record<string, T>> {
  return Object.freeze(Object.assign(Object.create(null) as Record<string, T>, entries));
}

/** An empty table to fill, with no inherited keys. */
export function newWordTable<T>(): Record<string, T> {
  return Object.create(null) as Record<string, T>;
}
