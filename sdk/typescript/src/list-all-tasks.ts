/** Every task a ListTasks request matches, page after page. */
import type { MessageInitShape } from "@bufbuild/protobuf";
import type { CallOptions, Client } from "@connectrpc/connect";
import type { Task } from "@todo/gen/todo/task/v1/task_pb";
import type { ListTasksRequestSchema, TaskService } from "@todo/gen/todo/task/v1/task_service_pb";

/** A ListTasks request without its page token: the iterator handles the pages. */
export type ListAllTasksRequest = Omit<
  MessageInitShape<typeof ListTasksRequestSchema>,
  "pageToken" | "$typeName"
>;

/**
 * Yields the tasks of every page of `request` in the server's order, asking for the next page
 * (with the same filter, query and order, as the API requires) only when the previous one has
 * been consumed. `request.pageSize` sets the page size (the server's default when unset). Each
 * page is its own call, so `options` (a signal, a deadline) applies to each, and each is retried
 * like any ListTasks.
 */
export async function* listAllTasks(
  tasks: Client<typeof TaskService>,
  request: ListAllTasksRequest = {},
  options?: CallOptions,
): AsyncGenerator<Task, void, undefined> {
  let pageToken = "";
  for (;;) {
    const page = await tasks.listTasks({ ...request, pageToken }, options);
    yield* page.tasks;
    if (page.nextPageToken === "") return;
    pageToken = page.nextPageToken;
  }
}
