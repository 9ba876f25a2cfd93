/**
 * The recurrence engine must not depend on the process's time zone (the `rrule` package alone
 * does: STACK.md). This runs the unit and oracle tests again in child processes under other `TZ`
 * values, after checking that the child really sees that zone.
 */
import { describe, expect, test } from "bun:test";
import { join } from "node:path";

const bun = process.execPath;
const files = ["occurrences.test.ts", "oracle.test.ts"].map((f) => join(import.meta.dir, f));

describe("recurrence tests pass under any process time zone", () => {
  for (const zone of ["UTC", "America/Los_Angeles", "Asia/Tokyo"]) {
    test(`TZ=${zone}`, () => {
      const env = { ...process.env, TZ: zone };
      const probe = Bun.spawnSync(
        [
          bun,
          "-e",
          "console.log(Intl.DateTimeFormat().resolvedOptions().timeZone, new Date(2027, 0, 1).getTimezoneOffset())",
        ],
        { env, stdout: "pipe", stderr: "pipe" },
      );
      const offsets: Record<string, number> = { UTC: 0, "America/Los_Angeles": 480, "Asia/Tokyo": -540 };
      expect(probe.stdout.toString().trim()).toBe(`${zone} ${offsets[zone]}`);

      const run = Bun.spawnSync([bun, "test", "--timeout", "30000", ...files], {
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
