/**
 * The task list's ListTasks call, taking over the first page that index.html's boot script asked
 * for before the app loaded (boot/first-page.ts) when it is exactly the request the list makes.
 * Any failure of the early request (an expired token, a network error, a server error) is not
 * reported as such: the list then makes its own call through the app's transport, which reports
 * errors and signs out on UNAUTHENTICATED as for any other call.
 */
import { fromBinary } from "@bufbuild/protobuf";
import { ListTasksResponseSchema } from "@todo/gen/todo/task/v1/task_service_pb";
import { takeFirstPage } from "../boot/first-page";
import type { ListTasksFn } from "../state/task-list";

/** Options of {@link withEarlyFirstPage}. */
export interface EarlyFirstPageOptions {
  /** Where the boot script left the request (default: `window`). */
  readonly win?: Window;
  /**
   * Called when the early answer was used. It was asked for before the app could listen to
   * WatchTasks, so a change made in between was not streamed: the caller should fetch the first
   * page again once the stream is live.
   */
  onAdopted?(): void;
}

/** `call`, except that its first use may be answered by the early first page. */
export function withEarlyFirstPage(
  call: ListTasksFn,
  token: () => string | undefined,
  options: EarlyFirstPageOptions = {},
): ListTasksFn {
  const win = options.win ?? window;
  return (req, opts) => {
    const early = takeFirstPage(win, req, token());
    if (!early) return call(req, opts);
    return early
      .then((answer) => {
        if (answer.status !== 200 || answer.contentType !== "application/proto") {
          throw new Error(`early first page: HTTP ${answer.status}`);
        }
        const page = fromBinary(ListTasksResponseSchema, new Uint8Array(answer.body));
        options.onAdopted?.();
        return page;
      })
      .catch(() => {
        if (opts.signal.aborted) throw new DOMException("The request was replaced", "AbortError");
        // Whatever went wrong, ask again the usual way: that call's error is the one to show.
        return call(req, opts);
      });
  };
}
