/**
 * `task.user_zones`: CreateTask and UpdateTask record the caller's own time zone (the token's `tz`)
 * for the daily digest — written when new or changed, never for a service acting for the user.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createTaskTestEnv, type TaskTestEnv } from "../test/task-env";

let env: TaskTestEnv;

beforeAll(async () => {
  env = await createTaskTestEnv({ now: "2026-03-07T15:00:00Z" });
});

afterAll(async () => {
  await env?.close();
});

async function zoneOf(userId: string): Promise<{ time_zone: string; update_time: Date } | undefined> {
  const [row] = await env.sql<{ time_zone: string; update_time: Date }[]>`
    select time_zone, update_time from task.user_zones where user_id = ${userId}`;
  return row;
}

/** A client for `userId` signed in with another zone (and e-mail). */
async function signedInAs(userId: string, timeZone: string, email: string) {
  const { token } = await env.tokens.issue({ userId, email, timeZone });
  return env.clientWithAuthorization(`Bearer ${token}`);
}

describe("user_zones", () => {
  test("CreateTask records the caller's zone; the same zone again writes nothing", async () => {
    const user = await env.addUser("Asia/Tokyo");
    expect(await zoneOf(user.principal.userId)).toBeUndefined();
    await user.client.createTask({ task: { title: "first" } });
    const first = await zoneOf(user.principal.userId);
    expect(first).toEqual({ time_zone: "Asia/Tokyo", update_time: new Date("2026-03-07T15:00:00Z") });

    env.clock.advance(60_000);
    await user.client.createTask({ task: { title: "second" } });
    expect(await zoneOf(user.principal.userId)).toEqual(first);
  });

  test("a task's own zone is not the user's: the token's zone is recorded", async () => {
    const user = await env.addUser("Europe/Berlin");
    await user.client.createTask({ task: { title: "call NYC", timeZone: "America/New_York" } });
    expect((await zoneOf(user.principal.userId))?.time_zone).toBe("Europe/Berlin");
  });

  test("UpdateTask with a token from another zone changes it", async () => {
    const user = await env.addUser("Asia/Tokyo");
    const { task } = await user.client.createTask({ task: { title: "t" } });
    env.clock.advance(3_600_000);
    const travelling = await signedInAs(user.principal.userId, "America/Los_Angeles", "t@example.com");
    await travelling.updateTask({
      task: { id: task?.id, title: "renamed" },
      updateMask: { paths: ["title"] },
    });
    expect(await zoneOf(user.principal.userId)).toEqual({
      time_zone: "America/Los_Angeles",
      update_time: env.clock.now(),
    });
  });

  test("a service acting for the user (no e-mail, like the scheduler) records nothing", async () => {
    const user = await env.addUser("Asia/Tokyo");
    await user.client.createTask({ task: { title: "mine" } });
    const acting = await signedInAs(user.principal.userId, "America/New_York", "");
    env.clock.advance(60_000);
    await acting.createTask({ task: { title: "next occurrence" } });
    expect((await zoneOf(user.principal.userId))?.time_zone).toBe("Asia/Tokyo");
  });

  test("a new user's concurrent first writes all succeed and leave one row", async () => {
    const user = await env.addUser("Australia/Sydney");
    const results = await Promise.all(
      Array.from({ length: 8 }, (_, i) => user.client.createTask({ task: { title: `t${i}` } })),
    );
    expect(results.every((r) => r.task?.id)).toBe(true);
    const [row] = await env.sql<{ n: number }[]>`
      select count(*)::int as n from task.user_zones where user_id = ${user.principal.userId}`;
    expect(row?.n).toBe(1);
    expect((await zoneOf(user.principal.userId))?.time_zone).toBe("Australia/Sydney");
  });
});
