import { describe, expect, it } from "bun:test";
import { create, toBinary } from "@bufbuild/protobuf";
import { ListTasksRequestSchema, TaskService } from "@todo/gen/todo/task/v1/task_service_pb";
import { SESSION_KEY } from "../api/stored-session";
import { buildListQuery, PAGE_SIZE, parseView } from "../state/view";
import {
  EARLY_FIRST_PAGE,
  type EarlyFirstPage,
  encodeListTasksRequest,
  type FirstPageRequest,
  firstPageRequest,
  LIST_TASKS_PATH,
  startFirstPage,
  takeFirstPage,
} from "./first-page";

const request = (patch: Partial<FirstPageRequest> = {}): FirstPageRequest => ({
  pageSize: 50,
  pageToken: "",
  filter: "status = OPEN",
  orderBy: "create_time desc",
  query: "",
  ...patch,
});

/** A stand-in for `window`: a location, a localStorage, and a fetch that records its calls. */
function fakeWindow(url: string, session?: { token: string }) {
  const items = new Map<string, string>();
  if (session) {
    items.set(
      SESSION_KEY,
      JSON.stringify({
        token: session.token,
        user: { id: "u1", email: "a@example.com", displayName: "a", timeZone: "UTC" },
      }),
    );
  }
  const calls: { url: string; init: RequestInit }[] = [];
  const u = new URL(url, "http://todo.test");
  const win = {
    location: { pathname: u.pathname, search: u.search },
    localStorage: { getItem: (k: string) => items.get(k) ?? null },
    fetch: async (input: string, init: RequestInit) => {
      calls.push({ url: input, init });
      return new Response(new Uint8Array([1, 2, 3]), {
        status: 200,
        headers: { "content-type": "application/proto" },
      });
    },
  };
  return { win: win as unknown as Window & typeof globalThis, calls };
}

const early = (win: Window) =>
  (win as unknown as Record<string, EarlyFirstPage | undefined>)[EARLY_FIRST_PAGE];

describe("encodeListTasksRequest", () => {
  const cases: Record<string, FirstPageRequest> = {
    "the default view": request(),
    "a search": request({ orderBy: "", query: "invoice Berlin" }),
    "non-ASCII text": request({ query: "Café Zürich ✓ 東京", filter: 'tags:"über"' }),
    "strings longer than 127 bytes (two-byte lengths)": request({
      filter: `${"priority = HIGH AND ".repeat(20)}status = OPEN`,
      query: "x".repeat(300),
    }),
    "a page token and a large page": request({ pageToken: "abc-123_XYZ", pageSize: 1000 }),
    "every field at its default": request({ pageSize: 0, filter: "", orderBy: "" }),
  };
  for (const [name, req] of Object.entries(cases)) {
    it(`matches the generated encoder for ${name}`, () => {
      expect(encodeListTasksRequest(req)).toEqual(
        toBinary(ListTasksRequestSchema, create(ListTasksRequestSchema, req)),
      );
    });
  }

  it("targets TaskService.ListTasks", () => {
    expect(LIST_TASKS_PATH).toBe(`/${TaskService.typeName}/${TaskService.method.listTasks.name}`);
  });
});

describe("firstPageRequest", () => {
  it("is the task list's request for the URL's view", () => {
    expect(firstPageRequest("")).toEqual(request({ pageSize: PAGE_SIZE }));
    for (const search of ["?q=invoice", "?due=today&tags=work,home", "?status=all&sort=title&dir=desc"]) {
      const q = buildListQuery(parseView(new URLSearchParams(search)));
      expect(firstPageRequest(search)).toEqual({ pageSize: PAGE_SIZE, pageToken: "", ...q });
    }
    expect(firstPageRequest("?q=invoice")).toMatchObject({ query: "invoice", orderBy: "" });
  });
});

describe("startFirstPage", () => {
  it("sends the first page's ListTasks with the stored token, in the binary encoding", async () => {
    const { win, calls } = fakeWindow("/?q=invoice", { token: "t1" });
    startFirstPage(win);
    expect(calls).toHaveLength(1);
    const call = calls[0];
    expect(call?.url).toBe(LIST_TASKS_PATH);
    expect(call?.init.method).toBe("POST");
    expect(call?.init.headers).toMatchObject({
      "content-type": "application/proto",
      "connect-protocol-version": "1",
      authorization: "Bearer t1",
    });
    expect(call?.init.body).toEqual(encodeListTasksRequest(firstPageRequest("?q=invoice")));
    const left = early(win);
    expect(left?.token).toBe("t1");
    expect(left?.request).toEqual(firstPageRequest("?q=invoice"));
    const answer = await left?.answer;
    expect(answer).toMatchObject({ status: 200, contentType: "application/proto" });
    expect(new Uint8Array(answer?.body ?? new ArrayBuffer(0))).toEqual(new Uint8Array([1, 2, 3]));
  });

  it("does nothing without a session or away from the task list", () => {
    for (const [url, session] of [
      ["/", undefined],
      ["/tags", { token: "t1" }],
      ["/signin", { token: "t1" }],
    ] as const) {
      const { win, calls } = fakeWindow(url, session);
      startFirstPage(win);
      expect(calls).toHaveLength(0);
      expect(early(win)).toBeUndefined();
    }
  });

  it("never throws, even when storage does", () => {
    const { win, calls } = fakeWindow("/", { token: "t1" });
    Object.defineProperty(win, "localStorage", {
      get() {
        throw new DOMException("denied", "SecurityError");
      },
    });
    expect(() => startFirstPage(win)).not.toThrow();
    expect(calls).toHaveLength(0);
  });
});

describe("takeFirstPage", () => {
  it("hands the answer over once, for the same request and token only", async () => {
    const { win } = fakeWindow("/", { token: "t1" });
    startFirstPage(win);
    const got = takeFirstPage(win, firstPageRequest(""), "t1");
    expect(got).toBeDefined();
    expect((await got)?.status).toBe(200);
    expect(takeFirstPage(win, firstPageRequest(""), "t1")).toBeUndefined();
  });

  it("drops the early request when the list asks for something else", () => {
    const other = [
      { req: firstPageRequest("?q=x"), token: "t1" },
      { req: firstPageRequest(""), token: "t2" },
      { req: firstPageRequest(""), token: undefined },
      { req: { ...firstPageRequest(""), pageToken: "next" }, token: "t1" },
    ];
    for (const { req, token } of other) {
      const { win } = fakeWindow("/", { token: "t1" });
      startFirstPage(win);
      expect(takeFirstPage(win, req, token)).toBeUndefined();
      // Gone: a later, matching request asks the server itself.
      expect(takeFirstPage(win, firstPageRequest(""), "t1")).toBeUndefined();
    }
  });
});
