/**
 * The due connectors are one list: every word the quick-add parser cuts out of the title with a due
 * date is also a word after which the scanner reads an ambiguous weekday ("sat") or a day/month
 * pair without a year ("12/24") as a date — and without a connector neither is a date.
 */
import { describe, expect, test } from "bun:test";
import { local, NOW, ZONE } from "../test/fixtures.ts";
import { DUE_CONNECTORS } from "./connectors.ts";
import { parseQuickAdd } from "./quick-add.ts";

const ctx = { now: NOW, timeZone: ZONE };

describe("due connectors", () => {
  test("the list holds the words the grammar documents, 'around' included", () => {
    for (const w of ["on", "at", "@", "by", "due", "for", "before", "until", "till", "from", "around"]) {
      expect(DUE_CONNECTORS.has(w)).toBe(true);
    }
  });

  for (const c of DUE_CONNECTORS) {
    test(`"${c}" makes "sat" a date and leaves the title with it`, () => {
      const r = parseQuickAdd(`lunch ${c} sat`, ctx);
      expect(r.title).toBe("lunch");
      expect(r.due && local(r.due.time)).toBe("2027-01-16 23:59");
      expect(r.spans.map((s) => [s.kind, s.text])).toEqual([["due", `${c} sat`]]);
    });

    test(`"${c}" makes "12/24" a date and leaves the title with it`, () => {
      const r = parseQuickAdd(`lunch ${c} 12/24`, ctx);
      expect(r.title).toBe("lunch");
      expect(r.due && local(r.due.time)).toBe("2027-12-24 23:59");
    });
  }

  test("without a connector, neither is a date", () => {
    expect(parseQuickAdd("lunch sat", ctx)).toMatchObject({ title: "lunch sat", spans: [] });
    expect(parseQuickAdd("add 1/2 cup", ctx)).toMatchObject({ title: "add 1/2 cup", spans: [] });
  });
});
