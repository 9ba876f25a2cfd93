/**
 * The reduced fault suite (`bun run chaos --quick`): in the services mode a `kill -9` of each of task,
 * scheduler, notification, tag and the edge and a restart of the (private) Kafka broker and PostgreSQL
 * (which once killed services: patches/postgres@3.4.9.patch), in the Dapr
 * mode a `kill -9` of the scheduler's daprd, each under load; then a poison message. Every
 * acknowledged write must be there, every due reminder in the inbox exactly once and never early,
 * WatchTasks clients must have reconnected and show what the server holds, and the poison must be
 * dead-lettered without holding up the reminder behind it. Needs what `bun run chaos` needs
 * (PostgreSQL binaries, Java 17 and Kafka's jars, the cached daprd); fails when they are missing.
 */
import { describe, expect, test } from "bun:test";
import { runChaos } from "./chaos.ts";
import { formatTable } from "./lib/chaos-run.ts";

describe("bun run chaos --quick", () => {
  test("no acknowledged write lost, reminders once and on time, watchers whole, poison dead-lettered", async () => {
    const reports = await runChaos(["services", "dapr"], true);
    expect(reports.map((r) => r.mode)).toEqual(["services", "dapr"]);
    for (const report of reports) {
      const table = formatTable(report);
      console.log(`\n${report.mode}\n${table}`);
      const { phases, watchDiverged } = report.verification;
      const faults = phases.slice(1, -1);
      expect(faults.length).toBe(report.mode === "services" ? 7 : 1);
      // The load really ran through every fault, and reminders really came due.
      expect(report.totalAcked).toBeGreaterThan(100);
      expect(phases.reduce((n, p) => n + p.remindersOnce, 0)).toBeGreaterThan(20);
      for (const p of phases) {
        expect({ fault: p.name, lost: p.lost, examples: p.lost > 0 ? p.examples : [] }).toEqual({
          fault: p.name,
          lost: 0,
          examples: [],
        });
        expect({
          fault: p.name,
          missing: p.remindersMissing,
          twice: p.remindersDuplicated,
          early: p.remindersEarly,
          watchMissed: p.watchMissed,
        }).toEqual({ fault: p.name, missing: 0, twice: 0, early: 0, watchMissed: 0 });
        expect(p.ackedWrites).toBeGreaterThan(0);
      }
      // Killing the edge or the task service breaks every stream: the clients must have come back.
      if (report.mode === "services") {
        const reconnects = (name: string) => phases.find((p) => p.name === name)?.watchReconnects ?? 0;
        expect(reconnects("kill -9 edge")).toBeGreaterThanOrEqual(report.verification.watchersChecked);
        expect(reconnects("kill -9 task")).toBeGreaterThanOrEqual(report.verification.watchersChecked);
      }
      expect(watchDiverged).toBe(0);
      expect(report.poison).toMatchObject({ deadLettered: true, flowed: true });
      expect(report.passed).toBe(true);
    }
  }, 900_000);
});
