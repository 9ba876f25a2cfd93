import { describe, expect, test } from "bun:test";
import { defaultOrder, parseOrderBy, type SortKey } from "./order-by";

const FIELDS = ["priority", "due_time", "create_time", "update_time", "complete_time", "title"] as const;

describe("parseOrderBy", () => {
  for (const field of FIELDS) {
    test(`${field}: ascending by default, asc and desc in any case`, () => {
      expect(parseOrderBy(field)).toEqual([{ field, desc: false }]);
      expect(parseOrderBy(`${field} asc`)).toEqual([{ field, desc: false }]);
      expect(parseOrderBy(`${field} desc`)).toEqual([{ field, desc: true }]);
      expect(parseOrderBy(`${field.toUpperCase()} DESC`)).toEqual([{ field, desc: true }]);
      expect(parseOrderBy(`  ${field}\tDesc  `)).toEqual([{ field, desc: true }]);
    });
  }

  test("several keys keep their order and directions", () => {
    const expected: SortKey[] = [
      { field: "priority", desc: true },
      { field: "due_time", desc: false },
      { field: "title", desc: true },
    ];
    expect(parseOrderBy("priority desc, due_time, title desc")).toEqual(expected);
    expect(parseOrderBy("priority desc,due_time asc ,  title desc")).toEqual(expected);
  });

  test("all six keys at once", () => {
    const keys = parseOrderBy(FIELDS.map((f, i) => `${f} ${i % 2 ? "desc" : "asc"}`).join(", "));
    expect(keys).toEqual(FIELDS.map((field, i) => ({ field, desc: i % 2 === 1 })));
  });

  const refused: [string, RegExp][] = [
    ["relevance", /cannot sort by "relevance"/],
    ["id", /cannot sort by "id"/],
    ["status", /cannot sort by "status"/],
    [
      "priorty desc",
      /cannot sort by "priorty"; use priority, due_time, create_time, update_time, complete_time, title/,
    ],
    ["priority descending", /"priority descending": a key may only be followed by asc or desc/],
    ["priority desc asc", /a key may only be followed by asc or desc/],
    ["priority desc due_time", /a key may only be followed by asc or desc/],
    ["priority,", /has an empty key/],
    [",priority", /has an empty key/],
    ["priority,,title", /has an empty key/],
    ["priority, PRIORITY desc", /"priority" is given twice/],
    ["-priority", /cannot sort by "-priority"/],
  ];
  for (const [orderBy, reason] of refused) {
    test(`refuses ${JSON.stringify(orderBy)} naming order_by`, () => {
      const result = parseOrderBy(orderBy);
      expect(Array.isArray(result)).toBe(false);
      expect(result).toMatchObject({ field: "order_by", description: expect.stringMatching(reason) });
    });
  }
});

describe("defaultOrder", () => {
  test("newest first without a search, relevance with one", () => {
    expect(defaultOrder(false)).toEqual([{ field: "create_time", desc: true }]);
    expect(defaultOrder(true)).toEqual([{ field: "relevance", desc: true }]);
  });
});
