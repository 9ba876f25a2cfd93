/**
 * Opaque keyset page tokens. A token carries the sort values of the last task of a page, the instant
 * relative filters (`now`, `today`) were evaluated at, and a hash of the parameters it belongs to, so
 * paging stays exact while tasks are inserted and a token reused with another filter, order or query
 * is refused.
 */
import { createHash } from "node:crypto";

/** What a token holds. */
export interface PageCursor {
  /** The sort values of the last row, in key order, ending with its id. */
  readonly values: readonly (string | number | boolean | null)[];
  /** When the first page was read: relative times in the filter keep meaning the same moment. */
  readonly now: Date;
}

/** Hashes the parameters a token is bound to. */
export function paramsHash(parts: readonly string[]): string {
  const h = createHash("sha256");
  for (const p of parts) h.update(`${p.length}:${p}`);
  return h.digest("base64url").slice(0, 16);
}

/** Encodes a cursor for `hash`. */
export function encodePageToken(hash: string, cursor: PageCursor): string {
  return Buffer.from(JSON.stringify({ h: hash, n: cursor.now.getTime(), v: cursor.values })).toString(
    "base64url",
  );
}

/** Why a token was refused. */
export type TokenProblem = "malformed" | "mismatch";

/**
 * The SQL type of each cursor value, which a decoded value must fit; a trailing `?` also admits null
 * (a `timestamptz` always does: a task may have no due time).
 */
export type CursorValueType =
  | "smallint"
  | "timestamptz"
  | "boolean"
  | "text"
  | "real"
  | "real?"
  | "uuid"
  | "uuid?";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const MAX_DATE_MS = 8.64e15;

function fits(value: unknown, type: CursorValueType): boolean {
  switch (type) {
    case "smallint":
      return typeof value === "number" && Number.isInteger(value) && Math.abs(value) <= 32767;
    case "timestamptz":
      // null only for the due time of a task that has none
      return (
        value === null ||
        (typeof value === "string" && !Number.isNaN(Date.parse(value)) && value.length <= 40)
      );
    case "boolean":
      return typeof value === "boolean";
    case "text":
      return typeof value === "string";
    case "real":
      return typeof value === "number" && Number.isFinite(value);
    case "real?":
      return value === null || fits(value, "real");
    case "uuid":
      return typeof value === "string" && UUID.test(value);
    case "uuid?":
      return value === null || fits(value, "uuid");
  }
}

/**
 * Decodes a token issued for `hash` whose values have the given types; returns a problem instead
 * when it is not such a token (tokens are opaque, not signed: a forged one must fail cleanly).
 */
export function decodePageToken(
  token: string,
  hash: string,
  types: readonly CursorValueType[],
): PageCursor | TokenProblem {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(token, "base64url").toString("utf8"));
  } catch {
    return "malformed";
  }
  if (typeof parsed !== "object" || parsed === null) return "malformed";
  const { h, n, v } = parsed as { h?: unknown; n?: unknown; v?: unknown };
  if (typeof h !== "string" || typeof n !== "number" || !Number.isFinite(n) || !Array.isArray(v))
    return "malformed";
  if (Math.abs(n) > MAX_DATE_MS) return "malformed";
  if (h !== hash) return "mismatch";
  if (v.length !== types.length) return "malformed";
  for (const [i, x] of v.entries()) {
    if (!fits(x, types[i] as CursorValueType)) return "malformed";
    if (typeof x === "string" && x.length > 600) return "malformed";
  }
  return { values: v as PageCursor["values"], now: new Date(n) };
}
