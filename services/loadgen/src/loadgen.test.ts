/**
 * The load generator against the real one-process server on PostgreSQL (DATABASE_URL; the test
 * fails, saying so, without it): a handful of users for a few seconds, half on gRPC over h2c, half
 * on Connect over HTTP/1.1. Every kind of call must have run without an error, every stream stayed
 * up, the change → other-window delay was measured for changes of every user, and reminders due
 * during the run arrived on WatchNotifications. No timing is asserted: that is the benchmark's job.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { startTestApp, type TestApp } from "@todo/testkit";
import { DEFAULT_MIX, type UserBehaviour } from "./options";
import { OPERATIONS, Recorder } from "./recorder";
import { errorCount } from "./report";
import { LoadSession, protocolOf, signUpUsers } from "./session";

let app: TestApp;

beforeAll(async () => {
  app = await startTestApp("postgres");
});

afterAll(async () => {
  await app?.close();
});

test("protocols are spread evenly over the users", () => {
  const protocols = Array.from({ length: 10 }, (_, i) => protocolOf(i, 0.3));
  expect(protocols.filter((p) => p === "connect")).toHaveLength(3);
  expect(Array.from({ length: 4 }, (_, i) => protocolOf(i, 0))).toEqual(["grpc", "grpc", "grpc", "grpc"]);
});

test("a few users run every operation over gRPC and Connect, without errors", async () => {
  const targets = {
    identity: app.grpcUrl,
    task: [app.grpcUrl],
    notification: app.grpcUrl,
    connectHttp1: app.httpUrl,
  };
  const behaviour: UserBehaviour = {
    thinkMs: 100,
    connectShare: 0.5,
    mix: DEFAULT_MIX,
    recurringShare: 0.5,
    reminderShare: 0.5,
    reminderDelayS: 1,
    seedTasks: 3,
    timeZone: "Europe/Berlin",
  };
  const recorder = new Recorder();
  const accounts = await signUpUsers(targets, 4, 4, behaviour.timeZone, recorder);
  expect(accounts).toHaveLength(4);
  const session = await LoadSession.open(targets, accounts, behaviour, recorder, 4);
  expect(session.users.map((u) => u.protocol)).toEqual(["grpc", "connect", "grpc", "connect"]);
  let m: Awaited<ReturnType<LoadSession["run"]>>;
  try {
    m = await session.run(8);
  } finally {
    await session.close();
  }
  expect(m.operations.map((o) => o.operation)).toEqual([...OPERATIONS]);
  for (const o of m.operations) {
    expect({ operation: o.operation, errors: o.errors }).toEqual({ operation: o.operation, errors: {} });
    expect(o.latency.count).toBeGreaterThan(0);
  }
  // Both protocols carried calls.
  const byProtocol = (p: "grpc" | "connect") => m.operations.reduce((s, o) => s + o.byProtocol[p].count, 0);
  expect(byProtocol("grpc")).toBeGreaterThan(0);
  expect(byProtocol("connect")).toBeGreaterThan(0);
  expect(errorCount(m)).toBe(0);
  // The first tasks' changes had all reached the streams before measuring started.
  expect(m.backlogAtStart).toBe(0);
  // Every change a call made came back on the user's own stream (an update that changed nothing,
  // such as a priority the task already had, sends no event).
  const count = (op: string) => m.operations.find((o) => o.operation === op)?.latency.count ?? 0;
  const alwaysChange = count("create") + count("complete") + count("delete");
  expect(m.watchMissed).toBe(0);
  expect(m.watchDelay.count).toBeGreaterThanOrEqual(alwaysChange);
  expect(m.watchDelay.count).toBeLessThanOrEqual(alwaysChange + count("update"));
  expect(m.watchDelay.min).toBeGreaterThan(0);
  // Reminders due soon were set during the run, and the ones due in it arrived, none early.
  expect(m.remindersDue).toBeGreaterThan(0);
  expect(m.reminderLateness.count).toBeGreaterThan(0);
  expect(m.reminderLateness.min).toBeGreaterThanOrEqual(0);
  expect(m.signUp.count).toBe(4);
}, 90_000);
