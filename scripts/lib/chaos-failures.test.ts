/**
 * How the fault suite records and sums up failed calls (the ledger's code and message, grouped per
 * phase in the report) and which faults `--only` / `--repeat` pick.
 */
import { describe, expect, test } from "bun:test";
import { Code, ConnectError } from "@connectrpc/connect";
import { type Op, recordFailure } from "./chaos-load.ts";
import { chosenFaults, formatFailures } from "./chaos-run.ts";
import type { ChaosTarget } from "./chaos-targets.ts";
import { groupFailures } from "./chaos-verify.ts";

const op = (start: number): Op => ({ kind: "create", user: 0, phase: 0, start, end: start + 1, ok: false });

describe("recordFailure", () => {
  test("keeps the Connect code in wire form and the message without its prefix", () => {
    const a = op(1);
    recordFailure(a, new ConnectError("the deadline passed", Code.DeadlineExceeded));
    expect({ code: a.code, error: a.error }).toEqual({
      code: "deadline_exceeded",
      error: "the deadline passed",
    });
    const b = op(2);
    recordFailure(b, new Error("CreateTask answered no task"));
    expect({ code: b.code, error: b.error }).toEqual({
      code: "unknown",
      error: "CreateTask answered no task",
    });
  });
});

describe("groupFailures", () => {
  test("groups by code and message with ids masked, commonest first, acknowledged calls left out", () => {
    const ops = [1, 2, 3].map((t) => {
      const o = op(t);
      recordFailure(o, new ConnectError(`task ${crypto.randomUUID()} not found`, Code.NotFound));
      return o;
    });
    const unavailable = op(0);
    recordFailure(unavailable, new ConnectError("upstream connect error", Code.Unavailable));
    const fine = { ...op(5), ok: true };
    const groups = groupFailures([unavailable, ...ops, fine]);
    expect(groups).toEqual([
      { code: "not_found", message: "task <id> not found", count: 3, first: 1, last: 3 },
      { code: "unavailable", message: "upstream connect error", count: 1, first: 0, last: 0 },
    ]);
    expect(formatFailures(groups, 1)).toBe("3 × `not_found` “task <id> not found”; 1 other");
  });
});

describe("chosenFaults", () => {
  const fault = (name: string) => ({ name, inject: async () => {} });
  const target = {
    faults: [fault("kill -9 task"), fault("kill -9 notification"), fault("restart Kafka broker")],
  } as unknown as ChaosTarget;
  test("filters by words in the name and repeats each in a row", () => {
    expect(chosenFaults(target, {}).map((f) => f.name)).toEqual([
      "kill -9 task",
      "kill -9 notification",
      "restart Kafka broker",
    ]);
    expect(chosenFaults(target, { only: ["notification", "Kafka"], repeat: 2 }).map((f) => f.name)).toEqual([
      "kill -9 notification",
      "kill -9 notification",
      "restart Kafka broker",
      "restart Kafka broker",
    ]);
    expect(chosenFaults(target, { only: ["none"] })).toEqual([]);
  });
});
