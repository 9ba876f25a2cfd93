/**
 * Preloaded by `tests/e2e/run.ts` (`bun test --preload`): hooks for the whole run. Contexts are
 * closed after each test; the server and the browser once, after the last file.
 */
import { afterAll, afterEach } from "bun:test";
import { closeContexts, closeE2E } from "./lib/harness.ts";

afterEach(async () => {
  await closeContexts();
});

afterAll(async () => {
  await closeE2E();
});
