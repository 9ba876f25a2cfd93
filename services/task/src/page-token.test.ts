import { describe, expect, test } from "bun:test";
import {
  type CursorValueType,
  decodePageToken,
  encodePageToken,
  type PageCursor,
  paramsHash,
} from "./page-token";

const NOW = new Date("2026-03-07T15:04:05.678Z");
const cursor: PageCursor = {
  values: [3, false, "2026-03-08T12:00:00.000Z", "buy milk", null, "0190f1a2-7b3c-7def-8abc-0123456789ab"],
  now: NOW,
};
const TYPES: CursorValueType[] = ["smallint", "boolean", "timestamptz", "text", "timestamptz", "uuid"];

const reencode = (obj: unknown) => Buffer.from(JSON.stringify(obj)).toString("base64url");

describe("paramsHash", () => {
  test("is deterministic and short", () => {
    const h = paramsHash(["user", "status = OPEN", "priority desc", ""]);
    expect(h).toBe(paramsHash(["user", "status = OPEN", "priority desc", ""]));
    expect(h).toMatch(/^[A-Za-z0-9_-]{16}$/);
  });

  test("changes with every part", () => {
    const base = ["user", "status = OPEN", "priority desc", "milk"];
    const hashes = new Set([paramsHash(base)]);
    base.forEach((_, i) => {
      const changed = [...base];
      changed[i] = `${changed[i]}x`;
      hashes.add(paramsHash(changed));
    });
    expect(hashes.size).toBe(base.length + 1);
  });

  test("cannot be fooled by moving text between parts", () => {
    expect(paramsHash(["ab", "c"])).not.toBe(paramsHash(["a", "bc"]));
    expect(paramsHash(["a:b", ""])).not.toBe(paramsHash(["a", "b"]));
    expect(paramsHash(["", "x"])).not.toBe(paramsHash(["x", ""]));
  });
});

describe("page tokens", () => {
  const hash = paramsHash(["u", "", "", ""]);

  test("round-trip the sort values and the instant of the first page", () => {
    const token = encodePageToken(hash, cursor);
    expect(token).toMatch(/^[A-Za-z0-9_-]+$/); // URL-safe, no padding
    const decoded = decodePageToken(token, hash, TYPES);
    expect(decoded).toEqual(cursor);
    expect((decoded as PageCursor).now.getTime()).toBe(NOW.getTime());
  });

  test("a token for other parameters is a mismatch", () => {
    const token = encodePageToken(hash, cursor);
    expect(decodePageToken(token, paramsHash(["u", "tags:x", "", ""]), TYPES)).toBe("mismatch");
  });

  test.each([
    ["empty", ""],
    ["not base64 JSON", "!!!not a token!!!"],
    ["base64 of garbage", Buffer.from("garbage").toString("base64url")],
    ["JSON null", reencode(null)],
    ["JSON number", reencode(42)],
    ["JSON array", reencode([1, 2])],
    ["no hash", reencode({ n: 0, v: [] })],
    ["hash not a string", reencode({ h: 1, n: 0, v: [] })],
    ["now not a number", reencode({ h: hash, n: "0", v: cursor.values })],
    ["values not an array", reencode({ h: hash, n: 0, v: "x" })],
    ["too few values", reencode({ h: hash, n: 0, v: cursor.values.slice(1) })],
    ["too many values", reencode({ h: hash, n: 0, v: [...cursor.values, 1] })],
    ["an object value", reencode({ h: hash, n: 0, v: [{}, ...cursor.values.slice(1)] })],
    [
      "an over-long string value",
      reencode({
        h: hash,
        n: 0,
        v: [...cursor.values.slice(0, 3), "x".repeat(601), ...cursor.values.slice(4)],
      }),
    ],
    ["a priority that is not a number", reencode({ h: hash, n: 0, v: ["3", ...cursor.values.slice(1)] })],
    [
      "a time that is not a time",
      reencode({ h: hash, n: 0, v: [3, false, "yesterday", ...cursor.values.slice(3)] }),
    ],
    [
      "an id that is not a UUID",
      reencode({ h: hash, n: 0, v: [...cursor.values.slice(0, 5), "1; drop table"] }),
    ],
  ])("%s is malformed", (_, token) => {
    expect(decodePageToken(token, hash, TYPES)).toBe("malformed");
  });

  test("a `now` outside the range of a Date is malformed", () => {
    // JSON allows 1e300; new Date(1e300) is an Invalid Date, which the filter compiler then refuses
    // with a RangeError (an INTERNAL error) instead of the client getting INVALID_ARGUMENT.
    const token = reencode({ h: hash, n: 1e300, v: cursor.values });
    expect(decodePageToken(token, hash, TYPES)).toBe("malformed");
  });
});
