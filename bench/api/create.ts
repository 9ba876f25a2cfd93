/**
 * The API benchmark's `create` phase: CreateTask with varied text, each client as its own user. Every
 * call is a transaction that inserts the task and its outbox event; the relay then publishes it to
 * the tag service, whose consumer updates the tag counts in its own transaction — all in the server
 * process while the phase is measured. Afterwards it waits until both outboxes are empty, so the next
 * phases do not pay for this one's backlog, and notes how big the backlog was.
 */
import postgres from "postgres";
import type { CpuProbe } from "./cpu";
import { measureBoth } from "./measure";
import type { ApiRun } from "./options";
import { type BenchUser, createTaskOp } from "./server";

/** Measures CreateTask as `users` on the server whose database is `url`. */
export async function createPhase(
  run: ApiRun,
  url: string,
  users: readonly BenchUser[],
  cpu: CpuProbe | undefined,
): Promise<void> {
  await measureBoth(run, "CreateTask", createTaskOp(users, 2), cpu);
  run.notes.push(await drainOutboxes(url));
  run.log(run.notes.at(-1) as string);
}

/** Waits until `task.outbox` and `tag.outbox` are empty; says how big the backlog was and how long it took. */
async function drainOutboxes(url: string): Promise<string> {
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  try {
    const t0 = performance.now();
    const count = async () => {
      const [row] = await sql<{ task: number; tag: number }[]>`
        select (select count(*) from task.outbox)::int as task, (select count(*) from tag.outbox)::int as tag`;
      return row as { task: number; tag: number };
    };
    const first = await count();
    let last = first;
    while ((last.task > 0 || last.tag > 0) && performance.now() - t0 < 300_000) {
      await Bun.sleep(100);
      last = await count();
    }
    const secs = ((performance.now() - t0) / 1000).toFixed(1);
    return last.task > 0 || last.tag > 0
      ? `After the CreateTask phases the outboxes still held ${last.task} task and ${last.tag} tag events after ${secs} s.`
      : `Event backlog when the CreateTask phases ended: ${first.task} task and ${first.tag} tag events in the ` +
          `outboxes, relayed and consumed within ${secs} s.`;
  } finally {
    await sql.end({ timeout: 5 });
  }
}
