/** listAllTasks over an in-memory server that pages by two. */
import { expect, test } from "bun:test";
import { createRouterTransport } from "@connectrpc/connect";
import { TaskService } from "@todo/gen/todo/task/v1/task_service_pb";
import { createTodoClient } from "./index.js";

test("walks every page lazily, with the same filter, order and page size on each request", async () => {
  const all = ["a", "b", "c", "d", "e"];
  const requests: { pageToken: string; filter: string; orderBy: string; pageSize: number }[] = [];
  const client = createTodoClient({
    transport: createRouterTransport((r) =>
      r.service(TaskService, {
        listTasks(req) {
          requests.push({
            pageToken: req.pageToken,
            filter: req.filter,
            orderBy: req.orderBy,
            pageSize: req.pageSize,
          });
          const start = req.pageToken === "" ? 0 : Number(req.pageToken.slice("after-".length));
          const end = start + req.pageSize;
          return {
            tasks: all.slice(start, end).map((id) => ({ id })),
            nextPageToken: end < all.length ? `after-${end}` : "",
            totalSize: all.length,
          };
        },
      }),
    ),
  });
  const seen: string[] = [];
  const iterator = client.listAllTasks({ filter: "status = OPEN", orderBy: "title", pageSize: 2 });
  for await (const task of iterator) {
    seen.push(task.id);
    // Nothing past the page being read has been asked for.
    expect(requests).toHaveLength(Math.ceil(seen.length / 2));
  }
  expect(seen).toEqual(all);
  expect(requests).toEqual([
    { pageToken: "", filter: "status = OPEN", orderBy: "title", pageSize: 2 },
    { pageToken: "after-2", filter: "status = OPEN", orderBy: "title", pageSize: 2 },
    { pageToken: "after-4", filter: "status = OPEN", orderBy: "title", pageSize: 2 },
  ]);
});
