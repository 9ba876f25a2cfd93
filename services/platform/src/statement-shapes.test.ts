import { describe, expect, test } from "bun:test";
import { StatementShapes } from "./statement-shapes";

describe("StatementShapes", () => {
  test("a text is prepared from its second sighting on", () => {
    const shapes = new StatementShapes(4, 2);
    expect(shapes.options("select 1 where a = $1")).toEqual({ prepare: false });
    expect(shapes.options("select 1 where a = $1")).toEqual({ prepare: true });
    expect(shapes.options("select 1 where a = $1")).toEqual({ prepare: true });
    expect(shapes.size).toBe(1);
  });

  test("no more than `capacity` texts are ever admitted; the rest run unprepared", () => {
    const shapes = new StatementShapes(3, 1);
    for (let i = 0; i < 3; i++) expect(shapes.options(`select ${i}`).prepare).toBe(true);
    expect(shapes.options("select 3")).toEqual({ prepare: false });
    expect(shapes.options("select 3")).toEqual({ prepare: false });
    expect(shapes.options("select 0")).toEqual({ prepare: true });
    expect(shapes.size).toBe(3);
  });

  test("a flood of one-off texts neither fills the admitted set nor grows the sightings without bound", () => {
    const shapes = new StatementShapes(2, 2);
    for (let i = 0; i < 10_000; i++) expect(shapes.options(`select ${i}`).prepare).toBe(false);
    expect(shapes.size).toBe(0);
    expect(shapes.counted).toBeLessThanOrEqual(2 * 8);
    // A text used again and again still gets in after the flood.
    shapes.options("select * from t where id = $1");
    expect(shapes.options("select * from t where id = $1").prepare).toBe(true);
  });
});
