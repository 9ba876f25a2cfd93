/**
 * The first page of tasks, asked for before the app's code has arrived.
 *
 * On a first visit the browser spends most of the time before the list can be shown downloading,
 * compiling and running the app's JavaScript; only then would the app send ListTasks. This module
 * is built into a small script inlined in index.html (see `firstPagePlugin` in vite.config.ts):
 * while the page is still being parsed it reads the stored session and the view in the URL, and
 * sends the very ListTasks request the task list is about to make. The task list then adopts the
 * answer ({@link takeFirstPage}) instead of asking again — only when the request, the token and
 * the page are still the same; otherwise the early answer is dropped and the app makes its own
 * call as it always did.
 *
 * The request goes in Connect's binary encoding, like every call of the app (the answer is decoded
 * by the same code as the transport's; JSON would cost several times more to decode), written here
 * by {@link encodeListTasksRequest} — a test checks it against the generated code.
 *
 * Keep this module's imports free of Solid, Connect and the protobuf runtime: everything it pulls
 * in ends up in every page's HTML.
 */
import { readStoredSession } from "../api/stored-session";
import { buildListQuery, PAGE_SIZE, parseView } from "../state/view";

/** The ListTasks request fields, as the task list sends them (state/task-list.ts `ListRequest`). */
export interface FirstPageRequest {
  readonly pageSize: number;
  readonly pageToken: string;
  readonly filter: string;
  readonly orderBy: string;
  readonly query: string;
}

/** The answer as it came: Connect unary over HTTP, binary. */
export interface EarlyAnswer {
  readonly status: number;
  readonly contentType: string;
  /** The whole body, read in as soon as it arrived. */
  readonly body: ArrayBuffer;
}

/** The request in flight, left on `window` for the app to take. */
export interface EarlyFirstPage {
  readonly token: string;
  readonly request: FirstPageRequest;
  /**
   * The answer, body included: reading it here, while the app's code is still loading, lets the
   * app take the page without waiting for another turn of the event loop (by then often behind
   * a frame of the app's shell).
   */
  readonly answer: Promise<EarlyAnswer>;
}

/** Where the early request waits for the app. */
export const EARLY_FIRST_PAGE = "__todoFirstPage";

/** The Connect path of TaskService.ListTasks (checked against the generated service in a test). */
export const LIST_TASKS_PATH = "/todo.task.v1.TaskService/ListTasks";

/** The route that shows the task list. */
const TASKS_PATH = "/";

type WithEarly = { [EARLY_FIRST_PAGE]?: EarlyFirstPage | undefined };

/** Appends `n` (a non-negative integer below 2^31) as a protobuf varint. */
function pushVarint(out: number[], n: number): void {
  let v = n >>> 0;
  while (v > 0x7f) {
    out.push((v & 0x7f) | 0x80);
    v >>>= 7;
  }
  out.push(v);
}

/**
 * `todo.task.v1.ListTasksRequest` in the protobuf binary format: `page_size` = 1 (int32), then the
 * strings `page_token` = 2, `filter` = 3, `order_by` = 4, `query` = 5; fields at their default
 * are left out, as proto3 does.
 */
export function encodeListTasksRequest(req: FirstPageRequest): Uint8Array<ArrayBuffer> {
  const out: number[] = [];
  if (req.pageSize !== 0) {
    out.push((1 << 3) | 0);
    // Negative int32s take ten bytes in protobuf; a page size never is.
    pushVarint(out, Math.max(0, req.pageSize));
  }
  const utf8 = new TextEncoder();
  const strings: [number, string][] = [
    [2, req.pageToken],
    [3, req.filter],
    [4, req.orderBy],
    [5, req.query],
  ];
  for (const [field, value] of strings) {
    if (value === "") continue;
    const bytes = utf8.encode(value);
    out.push((field << 3) | 2);
    pushVarint(out, bytes.length);
    for (const b of bytes) out.push(b);
  }
  return new Uint8Array(out);
}

/** The first-page request the task list makes for a URL's query string. */
export function firstPageRequest(search: string): FirstPageRequest {
  const q = buildListQuery(parseView(new URLSearchParams(search)));
  return { pageSize: PAGE_SIZE, pageToken: "", filter: q.filter, orderBy: q.orderBy, query: q.query };
}

/**
 * Sends the first page's ListTasks now when this load will show the task list to a signed-in
 * person, and leaves it on `win` for {@link takeFirstPage}. Does nothing on other routes, without
 * a stored session, or where fetch is missing; never throws.
 */
export function startFirstPage(win: Window & typeof globalThis): void {
  try {
    if (win.location.pathname !== TASKS_PATH || typeof win.fetch !== "function") return;
    const session = readStoredSession(win.localStorage);
    if (!session) return;
    const request = firstPageRequest(win.location.search);
    const answer = win
      .fetch(LIST_TASKS_PATH, {
        method: "POST",
        headers: {
          "content-type": "application/proto",
          "connect-protocol-version": "1",
          authorization: `Bearer ${session.token}`,
        },
        body: encodeListTasksRequest(request),
      })
      .then(async (res) => ({
        status: res.status,
        contentType: res.headers.get("content-type") ?? "",
        body: await res.arrayBuffer(),
      }));
    // Nobody may ever take it (the app may never ask): a failure must not be "unhandled".
    answer.catch(() => {});
    (win as WithEarly)[EARLY_FIRST_PAGE] = { token: session.token, request, answer };
  } catch {
    // Storage or fetch refused: the app makes its own call.
  }
}

const sameRequest = (a: FirstPageRequest, b: FirstPageRequest) =>
  a.pageSize === b.pageSize &&
  a.pageToken === b.pageToken &&
  a.filter === b.filter &&
  a.orderBy === b.orderBy &&
  a.query === b.query;

/**
 * Takes the early request if it is exactly `request` with `token`, once: whatever the answer, the
 * early request is gone afterwards (a second first page — a new view, a resync — is always asked
 * for anew). Undefined when there is none or it does not match.
 */
export function takeFirstPage(
  win: Window,
  request: FirstPageRequest,
  token: string | undefined,
): Promise<EarlyAnswer> | undefined {
  const early = (win as WithEarly)[EARLY_FIRST_PAGE];
  if (!early) return undefined;
  (win as WithEarly)[EARLY_FIRST_PAGE] = undefined;
  if (early.token !== token || !sameRequest(early.request, request)) return undefined;
  return early.answer;
}
