/**
 * The world of the ListTasks property test (src/list-tasks.property.test.ts): a fixed clock in
 * America/New_York, random tasks written through the store, and the documented order.
 */
import fc from "fast-check";
import { Temporal } from "temporal-polyfill";
import type { TaskStore, TaskValues } from "../src/store";
import type { TestUser } from "./task-env";

// ---------------------------------------------------------------------------------------------------
// The world: a fixed clock on the Saturday before US daylight-saving time starts (2026-03-08 02:00).

export const ZONE = "America/New_York";
export const NOW = Date.parse("2026-03-07T20:00:00.000Z"); // 15:00 EST
export const DAY = 86_400_000;

/** The start of each local day from 20 days before to 25 days after the clock. */
export const DAY_STARTS: number[] = (() => {
  const today = Temporal.Instant.fromEpochMilliseconds(NOW).toZonedDateTimeISO(ZONE).toPlainDate();
  const out: number[] = [];
  for (let d = -20; d <= 25; d++)
    out.push(today.add({ days: d }).toZonedDateTime({ timeZone: ZONE }).epochMilliseconds);
  return out;
})();

/** Instants that filters are likely to hit exactly: day starts, the clock, and their neighbours. */
export const INTERESTING: number[] = [
  ...DAY_STARTS,
  ...DAY_STARTS.map((t) => t - 1),
  ...DAY_STARTS.map((t) => t + 1),
  NOW,
  NOW - 1,
  NOW + 1,
  NOW + 3_600_000,
];

export const instantArb = fc.oneof(
  { weight: 2, arbitrary: fc.constantFrom(...INTERESTING) },
  { weight: 3, arbitrary: fc.integer({ min: NOW - 20 * DAY, max: NOW + 25 * DAY }) },
);

// ---------------------------------------------------------------------------------------------------
// Tasks.

/** Title words: ASCII (so lower-case code-unit order is the SQL `collate "C"` order) with LIKE's
 * wildcard characters `%` and `_` and words those wildcards would wrongly match. */
export const WORDS = [
  "meeting",
  "Milk",
  "buy",
  "REPORT",
  "50%",
  "507",
  "x_y",
  "xay",
  "call",
  "Mum",
  "a",
  "b",
];
/** Tags as users spell them; filters match them ignoring case. */
export const TAGS = ["work", "Home", "errands", "deep work", "URGENT", "x"];

export interface ModelTask {
  id: string;
  title: string;
  status: 1 | 2;
  priority: number;
  tags: string[];
  due: number | null;
  create: number;
  update: number;
  complete: number | null;
}

export type TaskSpec = Omit<ModelTask, "id" | "update" | "status">;

export const createPool = [NOW - 5 * DAY, NOW - 2 * DAY, NOW - 3 * DAY, NOW - 1000];

export const taskArb: fc.Arbitrary<TaskSpec> = fc.record({
  title: fc.array(fc.constantFrom(...WORDS), { minLength: 1, maxLength: 3 }).map((w) => w.join(" ")),
  priority: fc.integer({ min: 0, max: 4 }),
  tags: fc.uniqueArray(fc.constantFrom(...TAGS), { maxLength: 3, selector: (t) => t.toLowerCase() }),
  due: fc.option(instantArb, { nil: null, freq: 4 }),
  // Several tasks share a creation instant, so the id tie-break matters.
  create: fc.oneof(fc.constantFrom(...createPool), fc.integer({ min: NOW - 30 * DAY, max: NOW })),
  complete: fc.option(fc.integer({ min: NOW - 10 * DAY, max: NOW }), { nil: null, freq: 2 }),
});

export const taskSetArb = fc.array(taskArb, { minLength: 80, maxLength: 300 });

/** Inserts the tasks through the store (so tag_keys and generated columns are right). */
export async function insertTasks(
  store: TaskStore,
  user: TestUser,
  specs: readonly TaskSpec[],
): Promise<ModelTask[]> {
  const out: ModelTask[] = [];
  const batch = 8;
  for (let i = 0; i < specs.length; i += batch) {
    const rows = await Promise.all(
      specs.slice(i, i + batch).map(async (spec): Promise<ModelTask> => {
        const values: TaskValues = {
          title: spec.title,
          description: "",
          priority: spec.priority,
          tags: spec.tags,
          due_time: spec.due === null ? null : new Date(spec.due),
          time_zone: ZONE,
          rrule: null,
          recurrence_anchor: 0,
          reminders: [],
        };
        const created = await store.create(user.principal.userId, values, "", new Date(spec.create));
        if ("spent" in created) throw new Error("a create without request_id cannot be spent");
        const { row } = created;
        let update = spec.create;
        let complete: number | null = null;
        if (spec.complete !== null) {
          // Completed at least a little after creation, so update_time moves.
          complete = Math.max(spec.complete, spec.create + 1);
          const res = await store.setStatus(user.principal.userId, row.id, 2, new Date(complete));
          if (!("row" in res)) throw new Error("setStatus failed");
          update = complete;
        }
        return { ...spec, id: row.id, status: complete === null ? 1 : 2, update, complete };
      }),
    );
    out.push(...rows);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------
// Filters as syntax trees, printed to text and evaluated independently.

// ---------------------------------------------------------------------------------------------------
// Orders.

export type SortField = "priority" | "due_time" | "create_time" | "update_time" | "title";
export const SORT_FIELDS: SortField[] = ["priority", "due_time", "create_time", "update_time", "title"];

export interface OrderSpec {
  keys: { field: SortField; desc: boolean; written: "" | "asc" | "desc" | "DESC" | "Asc" }[];
}

export const orderArb: fc.Arbitrary<OrderSpec> = fc
  .uniqueArray(fc.constantFrom(...SORT_FIELDS), { maxLength: 3 })
  .chain((fields) =>
    fc
      .tuple(
        ...fields.map(() =>
          fc.constantFrom("" as const, "asc" as const, "desc" as const, "DESC" as const, "Asc" as const),
        ),
      )
      .map(
        (dirs): OrderSpec => ({
          keys: fields.map((field, i) => {
            const written = dirs[i] ?? "";
            return { field, desc: written.toLowerCase() === "desc", written };
          }),
        }),
      ),
  );

export const printOrder = (o: OrderSpec) =>
  o.keys.map((k) => (k.written ? `${k.field} ${k.written}` : k.field)).join(", ");

export const SORT_VALUE: Record<SortField, (t: ModelTask) => number | string | null> = {
  priority: (t) => t.priority,
  due_time: (t) => t.due,
  create_time: (t) => t.create,
  update_time: (t) => t.update,
  title: (t) => t.title.toLowerCase(),
};

/** The documented order: the keys (missing due times last either way; default newest first), then id. */
export function expectedOrder(tasks: ModelTask[], order: OrderSpec): string[] {
  const keys = order.keys.length > 0 ? order.keys : [{ field: "create_time" as const, desc: true }];
  return [...tasks]
    .sort((a, b) => {
      for (const { field, desc } of keys) {
        const x = SORT_VALUE[field](a);
        const y = SORT_VALUE[field](b);
        if (x === y) continue;
        if (x === null) return 1;
        if (y === null) return -1;
        const c = x < y ? -1 : 1;
        return desc ? -c : c;
      }
      return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
    })
    .map((t) => t.id);
}
