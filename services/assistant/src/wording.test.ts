/** How replies choose "a" or "an". */
import { expect, test } from "bun:test";
import { article, withArticle } from "./wording";

test('"a" or "an" goes by the sound of the first word, not by a fixed choice', () => {
  expect(withArticle("completed task")).toBe("a completed task");
  expect(withArticle("open task")).toBe("an open task");
  for (const p of [
    "urgent task",
    "important task",
    "overdue task",
    "hour",
    "honest answer",
    "SMS",
    "FAQ",
    "X-ray",
  ])
    expect(`${article(p)} ${p}`).toBe(`an ${p}`);
  for (const p of [
    "#work task",
    "high-priority task",
    "unit",
    "useful list",
    "one-off",
    "European trip",
    "UTC time",
  ])
    expect(`${article(p)} ${p}`).toBe(`a ${p}`);
});
