/**
 * The API benchmark's `list` and `list-big` phases: ListTasks with a filter, a sort and a first page
 * of 50 — each client on its own user's tasks (`list`), and all clients on the search user's
 * (`list-big`). The requests' match counts are noted even when neither phase is measured.
 */
import type { CpuProbe } from "./cpu";
import { measureBoth } from "./measure";
import type { ApiRun } from "./options";
import type { BenchUser } from "./server";

/** Measures the selected ListTasks phases as `users` and `searcher`. */
export async function listPhases(
  run: ApiRun,
  users: readonly BenchUser[],
  searcher: BenchUser,
  cpu: CpuProbe | undefined,
): Promise<void> {
  const { options, notes, targets } = run;
  const listRequest = {
    filter: "status = OPEN AND priority >= MEDIUM AND due_time < today+30d",
    orderBy: "due_time, priority desc",
    pageSize: 50,
  };
  const perUser = await (users[0] as BenchUser).tasks.listTasks(listRequest);
  notes.push(
    `ListTasks request: \`filter: "${listRequest.filter}"\`, \`order_by: "${listRequest.orderBy}"\`, ` +
      `\`page_size: 50\`; for a client user it matched ${perUser.totalSize} of about ${options.listTasks} tasks.`,
  );
  const listName = `ListTasks (filter + sort + page of 50; ${options.listTasks.toLocaleString("en")}+ tasks per user)`;
  targets.set(listName, { pct: 99, ms: 20 });
  if (options.phases.has("list")) {
    await measureBoth(run, listName, (w) => (users[w] as BenchUser).tasks.listTasks(listRequest), cpu);
  }
  const big = await searcher.tasks.listTasks(listRequest);
  notes.push(`The same request on the search user matched ${big.totalSize.toLocaleString("en")} tasks.`);
  if (options.phases.has("list-big"))
    await measureBoth(
      run,
      `ListTasks (filter + sort + page of 50; one user with ${options.searchTasks.toLocaleString("en")} tasks)`,
      () => searcher.tasks.listTasks(listRequest),
      cpu,
    );
}
