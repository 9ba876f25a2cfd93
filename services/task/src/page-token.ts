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
  return Buffer.from(JSON.stringify({ h: hash, n: cursor.now.getTime(), v: cursor.values })).toString("base64url");
}

/** Why a token was refused. */
export type TokenProblem = "malformed" | "mismatch";

/** Decodes a token issued for `hash`; returns a problem instead when it is not one. */
export function decodePageToken(token: string, hash: string, keyCount: number): PageCursor | TokenProblem {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(token, "base64url").toString("utf8"));
  } catch {
    return "malformed";
  }
  if (typeof parsed !== "object" || parsed === null) return "malformed";
  const { h, n, v } = parsed as { h?: unknown; n?: unknown; v?: unknown };
  if (typeof h !== "string" || typeof n !== "number" || !Number.isFinite(n) || !Array.isArray(v)) return "malformed";
  if (h !== hash) return "mismatch";
  if (v.length !== keyCount) return "malformed";
  for (const x of v) {
    if (!(x === null || ["string", "number", "boolean"].includes(typeof x))) return "malformed";
    if (typeof x === "string" && x.length > 600) return "malformed";
  }
  return { values: v as PageCursor["values"], now: new Date(n) };
}
