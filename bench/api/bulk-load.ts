/**
 * The API benchmark's bulk load before the read phases: each client user gets `--list-tasks` more
 * tasks and one search user `--search-tasks` tasks, inserted straight into `task.tasks` with
 * multi-row INSERTs (the trigger fills `task.search_words` as for API writes; no events are produced)
 * or, with `--load api`, through CreateTask; then `ANALYZE`.
 */
import postgres from "postgres";
import { random } from "../../tests/e2e/lib/seed.ts";
import type { ApiRun } from "./options";
import type { BenchUser } from "./server";
import { taskInit, taskText } from "./task-text";

/** Loads the tasks into the database `url` and notes how fast it went and what the tables hold. */
export async function bulkLoad(
  run: ApiRun,
  url: string,
  users: readonly BenchUser[],
  searcher: BenchUser,
): Promise<void> {
  const { options, log, notes } = run;
  const now = Date.now();
  const admin = postgres(url, { max: 4, onnotice: () => {} });
  try {
    const t0 = performance.now();
    const total = options.listTasks * users.length + options.searchTasks;
    log(`bulk-loading ${total} tasks (${options.load})`);
    if (options.load === "sql") {
      await bulkLoadSql(admin, searcher.id, options.searchTasks, 3);
      for (const [i, u] of users.entries()) await bulkLoadSql(admin, u.id, options.listTasks, 100 + i);
    } else {
      const loads: { user: BenchUser; count: number; seed: number }[] = [
        { user: searcher, count: options.searchTasks, seed: 3 },
        ...users.map((user, i) => ({ user, count: options.listTasks, seed: 100 + i })),
      ];
      for (const { user, count, seed } of loads) {
        const r = random(seed);
        let next = 0;
        await Promise.all(
          Array.from({ length: options.concurrency }, async () => {
            while (next < count) {
              next++;
              await user.tasks.createTask({ task: taskInit(taskText(r, now)) });
            }
          }),
        );
      }
    }
    await admin`analyze task.tasks`;
    await admin`analyze task.search_words`;
    const secs = (performance.now() - t0) / 1000;
    const [{ n, words }] = (await admin`
      select (select count(*) from task.tasks)::int as n, (select count(*) from task.search_words)::int as words`) as unknown as [
      { n: number; words: number },
    ];
    notes.push(
      `Bulk load (${options.load}): ${total.toLocaleString("en")} tasks in ${secs.toFixed(1)} s ` +
        `(${Math.round(total / secs).toLocaleString("en")} rows/s); the table then held ${n.toLocaleString("en")} tasks ` +
        `and \`task.search_words\` ${words.toLocaleString("en")} distinct words.`,
    );
    log(notes.at(-1) as string);
  } finally {
    await admin.end({ timeout: 5 });
  }
}

/**
 * Bulk-loads `count` tasks of `userId` straight into task.tasks with multi-row INSERTs, oldest first
 * and with UUIDv7 ids of their creation time, as an account that grew through CreateTask lies in
 * the table: the heap in creation order, the ids in the same order. (Written in random creation
 * order, the newest matches of a search sat one per heap block, a layout no real account has.)
 */
async function bulkLoadSql(sql: postgres.Sql, userId: string, count: number, seed: number): Promise<void> {
  const r = random(seed);
  const now = Date.now();
  const all: { createdMs: number; row: Record<string, unknown> }[] = [];
  for (let i = 0; i < count; i++) {
    const t = taskText(r, now);
    const createdMs = now - Math.floor(r() * 180 * 86_400_000);
    const status = r() < 0.3 ? 2 : 1;
    const created = new Date(createdMs).toISOString();
    all.push({
      createdMs,
      row: {
        title: t.title,
        description: t.description,
        status,
        priority: t.priority,
        tags: t.tags,
        tag_keys: t.tags.map((x) => x.toLowerCase()),
        due_time: t.dueMs === null ? null : new Date(t.dueMs).toISOString(),
        time_zone: t.timeZone,
        create_time: created,
        complete_time: status === 2 ? created : null,
      },
    });
  }
  all.sort((a, b) => a.createdMs - b.createdMs);
  const batch = 2000;
  for (let done = 0; done < count; done += batch) {
    const rows = all
      .slice(done, done + batch)
      .map(({ createdMs, row }) => ({ ...row, id: Bun.randomUUIDv7("hex", createdMs) }));
    // One JSON text parameter (cast through text so postgres.js does not encode it a second time).
    await sql`
      insert into task.tasks (id, user_id, title, description, status, priority, tags, tag_keys, due_time,
                              time_zone, create_time, update_time, complete_time)
      select id, ${userId}::uuid, title, description, status, priority, tags, tag_keys, due_time,
             time_zone, create_time, create_time, complete_time
      from json_to_recordset(${JSON.stringify(rows)}::text::json)
        as t(id uuid, title text, description text, status smallint, priority smallint, tags text[],
             tag_keys text[], due_time timestamptz, time_zone text, create_time timestamptz,
             complete_time timestamptz)`;
  }
}
