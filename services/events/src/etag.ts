/**
 * A task's etag: its version in quotes (`"7"`). Clients send it back for optimistic concurrency;
 * consumers of `task-events` compare the versions inside to drop snapshots older than the one they
 * have already applied.
 */

/** The etag of version `version`: `"7"`. */
export function etagOf(version: number): string {
  return `"${version}"`;
}

/** The version number inside an etag such as `"7"` or `W/"7"` (undefined when it holds none). */
export function etagVersion(etag: string): bigint | undefined {
  const match = /^(?:W\/)?"?(\d{1,18})"?$/.exec(etag.trim());
  return match?.[1] ? BigInt(match[1]) : undefined;
}
