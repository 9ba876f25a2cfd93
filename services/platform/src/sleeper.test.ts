import { describe, expect, test } from "bun:test";
import { createSleeper } from "./sleeper";

describe("sleeper", () => {
  test("a wake ends a sleep; one that came while awake ends the next; reset forgets it", async () => {
    const s = createSleeper();
    const sleeping = s.sleep(60_000);
    s.wake();
    expect(await sleeping).toBe(false);
    s.wake();
    expect(await s.sleep(60_000)).toBe(false);
    s.wake();
    s.reset();
    expect(await s.sleep(20)).toBe(true);
    s.close();
    expect(await s.sleep(60_000)).toBe(false);
  });

  test("a time hint ends wakeable sleeps at that time, not before; unwakeable ones ignore wakes", async () => {
    const s = createSleeper();
    const at = Date.now() + 150;
    const hinted = s.sleep(60_000);
    s.wake(new Date(at));
    expect(await hinted).toBe(false);
    expect(Date.now()).toBeGreaterThanOrEqual(at - 1);
    const started = Date.now();
    const unwakeable = s.sleep(100, { wakeable: false });
    s.wake();
    expect(await unwakeable).toBe(true);
    expect(Date.now() - started).toBeGreaterThanOrEqual(99);
  });
});
