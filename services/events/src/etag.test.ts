import { describe, expect, test } from "bun:test";
import { etagOf, etagVersion } from "./etag";

describe("etags", () => {
  test("a version round-trips through its etag", () => {
    expect(etagOf(7)).toBe('"7"');
    expect(etagVersion(etagOf(7))).toBe(7n);
  });

  test("weak, unquoted and padded forms are read; anything else holds no version", () => {
    expect(etagVersion('W/"12"')).toBe(12n);
    expect(etagVersion(" 5 ")).toBe(5n);
    expect(etagVersion('"abc"')).toBeUndefined();
    expect(etagVersion("")).toBeUndefined();
    expect(etagVersion(`"${"9".repeat(19)}"`)).toBeUndefined();
  });
});
