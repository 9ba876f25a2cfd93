import { create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { Priority, type Task, TaskSchema, TaskStatus } from "@todo/gen/todo/task/v1/task_pb";
import { describe, expect, it } from "vitest";
import {
  buildListQuery,
  compareForView,
  DEFAULT_VIEW,
  matchesView,
  parseView,
  quoteValue,
  type TaskView,
  viewToParams,
  viewToSearch,
} from "./view";

const view = (patch: Partial<TaskView>): TaskView => ({ ...DEFAULT_VIEW, ...patch });

describe("view ↔ URL", () => {
  it("leaves the default view out of the URL", () => {
    expect(viewToSearch(DEFAULT_VIEW)).toBe("");
    expect(parseView(new URLSearchParams(""))).toEqual(DEFAULT_VIEW);
  });

  it("round-trips every field", () => {
    const v = view({
      q: "rent",
      status: "all",
      priorities: ["urgent", "high"],
      tags: ["home", "deep work"],
      due: "week",
      filter: "title:pay",
      sort: "due",
      dir: "desc",
    });
    const search = viewToSearch(v);
    expect(search).toContain("q=rent");
    expect(search).toContain("due=week");
    expect(parseView(new URLSearchParams(search))).toEqual(v);
  });

  it("omits the natural direction and default sort", () => {
    expect(viewToParams(view({ sort: "due", dir: "asc" }))).toMatchObject({ sort: "due", dir: undefined });
    expect(viewToParams(view({ sort: "created", dir: "desc" }))).toMatchObject({
      sort: undefined,
      dir: undefined,
    });
    expect(viewToParams(view({ q: "x", sort: "relevance" }))).toMatchObject({ sort: undefined });
  });

  it("ignores values it does not know, and reads router-style params", () => {
    const v = parseView({
      status: "bogus",
      due: "someday",
      priority: "urgent,nope",
      sort: "random",
      tags: "a,A,b",
    });
    expect(v.status).toBe("open");
    expect(v.due).toBeUndefined();
    expect(v.priorities).toEqual(["urgent"]);
    expect(v.sort).toBeUndefined();
    expect(v.tags).toEqual(["a", "b"]);
  });
});

describe("ListTasks request", () => {
  it("asks for open tasks, newest first, by default", () => {
    expect(buildListQuery(DEFAULT_VIEW)).toEqual({
      filter: "status = OPEN",
      orderBy: "create_time desc",
      query: "",
    });
  });

  it("builds each due bucket as docs/filtering.md says", () => {
    expect(buildListQuery(view({ due: "overdue" })).filter).toBe("status = OPEN AND due_time < now");
    expect(buildListQuery(view({ due: "today", status: "all" })).filter).toBe(
      "due_time >= today AND due_time < today+1d",
    );
    expect(buildListQuery(view({ due: "week", status: "all" })).filter).toBe(
      "due_time >= today AND due_time < today+7d",
    );
    expect(buildListQuery(view({ due: "none", status: "all" })).filter).toBe("NOT due_time:*");
  });

  it("quotes tags and ORs priorities", () => {
    const q = buildListQuery(
      view({ status: "completed", priorities: ["urgent", "none"], tags: ['say "hi"'] }),
    );
    expect(q.filter).toBe(
      'status = COMPLETED AND (priority = URGENT OR priority = UNSPECIFIED) AND tags:"say \\"hi\\""',
    );
    expect(quoteValue("a\\b")).toBe('"a\\\\b"');
  });

  it("puts the advanced filter first so server columns match the box", () => {
    const q = buildListQuery(view({ filter: "  prio >= HIGH ", tags: ["work"] }));
    expect(q.filter).toBe('prio >= HIGH AND status = OPEN AND tags:"work"');
    expect(q.filter.indexOf("prio")).toBe(0);
  });

  it("sorts by relevance while searching unless told otherwise", () => {
    expect(buildListQuery(view({ q: " milk " }))).toMatchObject({ query: "milk", orderBy: "" });
    expect(buildListQuery(view({ q: "milk", sort: "priority" })).orderBy).toBe("priority desc, due_time asc");
    expect(buildListQuery(view({ sort: "due", dir: "desc" })).orderBy).toBe("due_time desc, priority desc");
    expect(buildListQuery(view({ sort: "title" })).orderBy).toBe("title asc");
    // Relevance without a search means nothing: newest first.
    expect(buildListQuery(view({ sort: "relevance" })).orderBy).toBe("create_time desc");
  });
});

const NOW = new Date("2026-12-02T09:00:00Z");
const ctx = { now: NOW, timeZone: "Europe/Berlin" };
function task(p: {
  id?: string;
  due?: string;
  priority?: Priority;
  tags?: string[];
  status?: TaskStatus;
  title?: string;
  created?: string;
  completed?: string;
}): Task {
  return create(TaskSchema, {
    id: p.id ?? "00000000-0000-4000-8000-000000000001",
    title: p.title ?? "t",
    status: p.status ?? TaskStatus.OPEN,
    priority: p.priority ?? Priority.UNSPECIFIED,
    tags: p.tags ?? [],
    ...(p.completed ? { completeTime: timestampFromDate(new Date(p.completed)) } : {}),
    ...(p.due ? { dueTime: timestampFromDate(new Date(p.due)) } : {}),
    createTime: timestampFromDate(new Date(p.created ?? "2026-12-01T00:00:00Z")),
  });
}

describe("matchesView", () => {
  it("checks status, priority, tags (any case) and due buckets in the account's zone", () => {
    expect(matchesView(task({}), DEFAULT_VIEW, ctx)).toBe(true);
    expect(matchesView(task({ status: TaskStatus.COMPLETED }), DEFAULT_VIEW, ctx)).toBe(false);
    expect(matchesView(task({ priority: Priority.HIGH }), view({ priorities: ["high"] }), ctx)).toBe(true);
    expect(matchesView(task({}), view({ priorities: ["high"] }), ctx)).toBe(false);
    expect(matchesView(task({}), view({ priorities: ["none"] }), ctx)).toBe(true);
    expect(matchesView(task({ tags: ["Work", "x"] }), view({ tags: ["work"] }), ctx)).toBe(true);
    expect(matchesView(task({ tags: ["x"] }), view({ tags: ["work"] }), ctx)).toBe(false);
    // Today in Berlin is 2026-12-01T23:00Z .. 2026-12-02T23:00Z.
    expect(matchesView(task({ due: "2026-12-02T22:30:00Z" }), view({ due: "today" }), ctx)).toBe(true);
    expect(matchesView(task({ due: "2026-12-02T23:30:00Z" }), view({ due: "today" }), ctx)).toBe(false);
    expect(matchesView(task({ due: "2026-12-02T23:30:00Z" }), view({ due: "week" }), ctx)).toBe(true);
    expect(matchesView(task({ due: "2026-12-02T08:00:00Z" }), view({ due: "overdue" }), ctx)).toBe(true);
    expect(matchesView(task({}), view({ due: "none" }), ctx)).toBe(true);
    expect(matchesView(task({ due: "2026-12-05T08:00:00Z" }), view({ due: "none" }), ctx)).toBe(false);
  });

  it("leaves searches and advanced filters to the server", () => {
    expect(matchesView(task({}), view({ q: "milk" }), ctx)).toBeUndefined();
    expect(matchesView(task({}), view({ filter: "title:x" }), ctx)).toBeUndefined();
    // …but still rules out what the controls rule out.
    expect(matchesView(task({ status: TaskStatus.COMPLETED }), view({ q: "milk" }), ctx)).toBe(false);
  });
});

describe("compareForView", () => {
  it("orders like the server: due last when missing, ties by id", () => {
    const a = task({ id: "a", due: "2026-12-03T08:00:00Z", priority: Priority.LOW });
    const b = task({ id: "b", due: "2026-12-04T08:00:00Z", priority: Priority.URGENT });
    const c = task({ id: "c", priority: Priority.HIGH });
    const byDue = compareForView(view({ sort: "due" }));
    expect([c, b, a].sort(byDue).map((t) => t.id)).toEqual(["a", "b", "c"]);
    const byDueDesc = compareForView(view({ sort: "due", dir: "desc" }));
    expect([c, a, b].sort(byDueDesc).map((t) => t.id)).toEqual(["b", "a", "c"]);
    const byPriority = compareForView(view({ sort: "priority" }));
    expect([a, c, b].sort(byPriority).map((t) => t.id)).toEqual(["b", "c", "a"]);
    const byTitle = compareForView(view({ sort: "title" }));
    const x = task({ id: "x", title: "banana" });
    const y = task({ id: "y", title: "Apple" });
    expect([x, y].sort(byTitle).map((t) => t.id)).toEqual(["y", "x"]);
    expect(compareForView(view({ q: "milk" }))).toBeUndefined();
  });
});

describe("the Completed view", () => {
  it("asks for the most recently completed first, and orders live changes so", () => {
    const completed = view({ status: "completed" });
    expect(buildListQuery(completed).orderBy).toBe("complete_time desc");
    expect(buildListQuery(view({ status: "completed", dir: "asc" })).orderBy).toBe("complete_time asc");
    // The default sort stays out of the URL.
    expect(viewToParams(completed).sort).toBeUndefined();
    const early = task({
      id: "a",
      status: TaskStatus.COMPLETED,
      completed: "2026-12-01T08:00:00Z",
      created: "2026-12-05T00:00:00Z",
    });
    const late = task({
      id: "b",
      status: TaskStatus.COMPLETED,
      completed: "2026-12-02T08:00:00Z",
      created: "2026-11-01T00:00:00Z",
    });
    const open = task({ id: "c" });
    const cmp = compareForView(completed);
    expect([early, open, late].sort(cmp).map((t) => t.id)).toEqual(["b", "a", "c"]);
  });

  it("keeps creation order where completion means nothing: open tasks, and All unless chosen", () => {
    expect(buildListQuery(view({ status: "open", sort: "completed" })).orderBy).toBe("create_time desc");
    expect(buildListQuery(view({ status: "all" })).orderBy).toBe("create_time desc");
    expect(buildListQuery(view({ status: "all", sort: "completed" })).orderBy).toBe("complete_time desc");
  });
});
