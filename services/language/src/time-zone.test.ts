/**
 * The parser must not depend on the process's time zone (a browser's is the user's, a server's is
 * often UTC). This runs the other test files again in child processes under other `TZ` values,
 * after checking that the child really sees that zone.
 */
import { describe, expect, test } from "bun:test";
import { join } from "node:path";

const bun = process.execPath;
const files = ["quick-add.test.ts", "edge-cases.test.ts", "describe.test.ts"].map((f) =>
  join(import.meta.dir, f),
);
const offsets: Record<string, number> = {
  UTC: 0,
  "America/Los_Angeles": 480,
  "Asia/Tokyo": -540,
  "Australia/Lord_Howe": -660,
};

describe("the same results under any process time zone", () => {
  for (const zone of Object.keys(offsets)) {
    test(`TZ=${zone}`, () => {
      const env = { ...process.env, TZ: zone };
      const probe = Bun.spawnSync([bun, "-e", "console.log(new Date(2027, 0, 1).getTimezoneOffset())"], {
        env,
      });
      expect(probe.stdout.toString().trim()).toBe(String(offsets[zone]));
      const run = Bun.spawnSync([bun, "test", ...files], {
        cwd: join(import.meta.dir, ".."),
        env,
        stdin: "ignore",
        stdout: "pipe",
        stderr: "pipe",
      });
      const output = `${run.stdout.toString()}${run.stderr.toString()}`;
      if (run.exitCode !== 0) console.error(output);
      expect(run.exitCode).toBe(0);
      expect(output).toMatch(/\n\s*[1-9]\d* pass\n\s*0 fail\n/);
    }, 120_000);
  }
});
