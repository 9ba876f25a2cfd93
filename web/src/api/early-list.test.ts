import { describe, expect, it } from "bun:test";
import { create, toBinary } from "@bufbuild/protobuf";
import { TaskSchema } from "@todo/gen/todo/task/v1/task_pb";
import { ListTasksResponseSchema } from "@todo/gen/todo/task/v1/task_service_pb";
import { EARLY_FIRST_PAGE, type EarlyAnswer, firstPageRequest } from "../boot/first-page";
import type { ListRequest, ListTasksFn } from "../state/task-list";
import { withEarlyFirstPage } from "./early-list";

const page = create(ListTasksResponseSchema, {
  tasks: [create(TaskSchema, { id: "t1", title: "Early task" })],
  nextPageToken: "next",
  totalSize: 7,
});

/** A window holding an early first page for the default view with token "t1". */
function windowWith(answer: Promise<EarlyAnswer>): Window {
  answer.catch(() => {});
  return { [EARLY_FIRST_PAGE]: { token: "t1", request: firstPageRequest(""), answer } } as unknown as Window;
}

const ok = (): Promise<EarlyAnswer> => {
  const bytes = toBinary(ListTasksResponseSchema, page);
  return Promise.resolve({
    status: 200,
    contentType: "application/proto",
    body: bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer,
  });
};

/** The app's own call: records requests and answers with one "Own task". */
function ownCall() {
  const calls: ListRequest[] = [];
  const fn: ListTasksFn = async (req) => {
    calls.push(req);
    return { tasks: [create(TaskSchema, { id: "own", title: "Own task" })], nextPageToken: "", totalSize: 1 };
  };
  return { fn, calls };
}

const signal = () => new AbortController().signal;

describe("withEarlyFirstPage", () => {
  it("answers the first page from the early request without calling the server again", async () => {
    const own = ownCall();
    let adopted = 0;
    const list = withEarlyFirstPage(own.fn, () => "t1", {
      win: windowWith(ok()),
      onAdopted: () => adopted++,
    });
    const res = await list(firstPageRequest(""), { signal: signal() });
    expect(res.tasks.map((t) => t.title)).toEqual(["Early task"]);
    expect(res.nextPageToken).toBe("next");
    expect(res.totalSize).toBe(7);
    expect(own.calls).toHaveLength(0);
    expect(adopted).toBe(1);
    // The next page (and any later first page) is the app's own call.
    await list({ ...firstPageRequest(""), pageToken: "next" }, { signal: signal() });
    await list(firstPageRequest(""), { signal: signal() });
    expect(own.calls.map((c) => c.pageToken)).toEqual(["next", ""]);
  });

  it("asks again the usual way when the early answer is an error or unusable", async () => {
    const answers: Promise<EarlyAnswer>[] = [
      Promise.resolve({ status: 401, contentType: "application/json", body: new ArrayBuffer(0) }),
      Promise.resolve({ status: 200, contentType: "text/html", body: new ArrayBuffer(0) }),
      Promise.resolve({ status: 200, contentType: "application/proto", body: new Uint8Array([0xff]).buffer }),
      Promise.reject(new TypeError("Failed to fetch")),
    ];
    for (const answer of answers) {
      const own = ownCall();
      let adopted = 0;
      const list = withEarlyFirstPage(own.fn, () => "t1", {
        win: windowWith(answer),
        onAdopted: () => adopted++,
      });
      const res = await list(firstPageRequest(""), { signal: signal() });
      expect(res.tasks.map((t) => t.title)).toEqual(["Own task"]);
      expect(own.calls).toHaveLength(1);
      expect(adopted).toBe(0);
    }
  });

  it("ignores an early request for another view or another token", async () => {
    for (const [req, token] of [
      [firstPageRequest("?q=x"), "t1"],
      [firstPageRequest(""), "t2"],
    ] as const) {
      const own = ownCall();
      const list = withEarlyFirstPage(own.fn, () => token, { win: windowWith(ok()) });
      const res = await list(req, { signal: signal() });
      expect(res.tasks.map((t) => t.title)).toEqual(["Own task"]);
      expect(own.calls).toEqual([req]);
    }
  });

  it("does not fall back when the list has already moved on", async () => {
    const own = ownCall();
    const ctrl = new AbortController();
    const list = withEarlyFirstPage(own.fn, () => "t1", {
      win: windowWith(Promise.reject(new TypeError("Failed to fetch"))),
    });
    const pending = list(firstPageRequest(""), { signal: ctrl.signal });
    ctrl.abort();
    await expect(pending).rejects.toMatchObject({ name: "AbortError" });
    expect(own.calls).toHaveLength(0);
  });
});
