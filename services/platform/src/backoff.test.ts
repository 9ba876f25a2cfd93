import { describe, expect, test } from "bun:test";
import { backoffDelay, createBackoff } from "./backoff";

describe("backoff", () => {
  test("doubles from minMs and stops at maxMs; a counter resets", () => {
    const policy = { minMs: 100, maxMs: 1000 };
    expect([0, 1, 2, 3, 4, 5, 60].map((a) => backoffDelay(a, policy))).toEqual([
      100, 100, 200, 400, 800, 1000, 1000,
    ]);
    expect(backoffDelay(3, { minMs: 500, maxMs: 100 })).toBe(500);
    const b = createBackoff(policy);
    expect([b.next(), b.next(), b.next()]).toEqual([100, 200, 400]);
    expect(b.failures).toBe(3);
    b.reset();
    expect(b.next()).toBe(100);
  });
});
