import { expect, test } from "bun:test";
import { Code, ConnectError } from "@connectrpc/connect";
import { backoffDelay, sleep } from "./backoff.js";

test("backoff doubles from the initial delay up to the cap, its upper half random", () => {
  const options = { initialDelayMs: 100, maxDelayMs: 1_000 };
  expect([0, 1, 2, 3, 4, 10].map((n) => backoffDelay(n, options, () => 1))).toEqual([
    100, 200, 400, 800, 1_000, 1_000,
  ]);
  expect([0, 1, 4].map((n) => backoffDelay(n, options, () => 0))).toEqual([50, 100, 500]);
});

test("sleep ends early with CANCELED when its signal aborts", async () => {
  const controller = new AbortController();
  const started = performance.now();
  setTimeout(() => controller.abort(), 20);
  const error = await sleep(5_000, controller.signal).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(ConnectError);
  expect((error as ConnectError).code).toBe(Code.Canceled);
  expect(performance.now() - started).toBeLessThan(1_000);
});
