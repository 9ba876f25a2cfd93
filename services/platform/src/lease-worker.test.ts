/**
 * The lease worker on a real PostgreSQL (DATABASE_URL): a small queue table with the claim shape its
 * users have (`FOR UPDATE SKIP LOCKED`, a token and `claimed_until`), and workers over it.
 */
import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { createLeaseWorker, type Lease, type LeaseWorker, type LeaseWorkerOptions } from "./lease-worker";
import { createTestDatabase, memoryLogger, stopWhileLocked, type TestDatabase } from "./testing";

let db: TestDatabase;
let schemas = 0;
const workers: LeaseWorker[] = [];

beforeAll(async () => {
  db = await createTestDatabase();
});
afterEach(async () => {
  await Promise.all(workers.splice(0).map((w) => w.stop()));
});
afterAll(async () => {
  await db?.drop();
});

interface Item {
  id: number;
  attempts: number;
}

/** A fresh queue `<schema>.items` and its claim and complete statements. */
async function freshQueue() {
  schemas += 1;
  const schema = `lease_test_${schemas}`;
  const table = `${schema}.items`;
  await db.sql.unsafe(
    `create schema ${schema};
     create table ${table} (id int primary key, run_time timestamptz not null default now(),
       attempts int not null default 0, claim uuid, claimed_until timestamptz)`,
  );
  const claim = async (lease: Lease, batchSize: number): Promise<Item[]> => {
    const conn = await db.sql.reserve();
    const query = conn.unsafe<Item[]>(
      `with due as (
         select id from ${table}
         where run_time <= now() and (claimed_until is null or claimed_until < now())
         order by id limit $1 for update skip locked)
       update ${table} i set claim = $2, claimed_until = now() + $3 * interval '1 millisecond'
       from due where i.id = due.id returning i.id, i.attempts`,
      [batchSize, lease.token, lease.leaseMs],
    );
    try {
      return await lease.cancellable(query);
    } finally {
      conn.release();
    }
  };
  /** Deletes the rows still held by `lease`; returns the ids it deleted. */
  const complete = async (ids: readonly number[], lease: Lease): Promise<number[]> =>
    (
      await db.sql.unsafe<{ id: number }[]>(
        `delete from ${table} where id = any($1::int[]) and claim = $2 returning id`,
        [ids, lease.token],
      )
    ).map((r) => r.id);
  /** `complete` of every claimed row. */
  const completeRows = (rows: readonly Item[], lease: Lease) =>
    complete(
      rows.map((r) => r.id),
      lease,
    );
  const insert = async (ids: readonly number[], runTime: Date = new Date()) => {
    await db.sql.unsafe(`insert into ${table} (id, run_time) select unnest($1::int[]), $2`, [ids, runTime]);
  };
  const remaining = async () =>
    (await db.sql.unsafe<{ id: number }[]>(`select id from ${table} order by id`)).map((r) => r.id);
  return { schema, table, claim, complete, completeRows, insert, remaining };
}

type Queue = Awaited<ReturnType<typeof freshQueue>>;

/** A worker over `queue` that completes every row it claims, unless `options.handle` says otherwise. */
function worker(queue: Queue, options: Partial<LeaseWorkerOptions<Item>> = {}): LeaseWorker {
  const batchSize = options.batchSize ?? 10;
  const w = createLeaseWorker<Item>({
    claim: (lease) => queue.claim(lease, batchSize),
    handle: async (rows, lease) => {
      await queue.completeRows(rows, lease);
    },
    batchSize,
    leaseMs: 30_000,
    pollIntervalMs: 20,
    logger: memoryLogger().logger,
    roundFailedMessage: "test round failed",
    ...options,
  });
  workers.push(w);
  return w;
}

/** A promise and its resolver. */
function deferred<T = void>() {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

describe("lease worker (real PostgreSQL)", () => {
  test("claims a batch under one token and lease; replicas share the rows, each handled once", async () => {
    const queue = await freshQueue();
    const ids = Array.from({ length: 200 }, (_, i) => i + 1);
    await queue.insert(ids);
    const handled: number[] = [];
    const leases: { token: string; until: Date[] }[] = [];
    const all = deferred();
    // A failed expectation inside a round is a failed round: logged here, and asserted on below.
    const { logger, lines } = memoryLogger();
    for (let i = 0; i < 3; i++) {
      worker(queue, {
        logger,
        batchSize: 7,
        leaseMs: 5000,
        handle: async (rows, lease) => {
          // While the round runs, its rows carry its token and a lease of leaseMs from the claim.
          const held = await db.sql.unsafe<{ id: number; until: Date; db_now: Date }[]>(
            `select id, claimed_until as until, now() as db_now from ${queue.table} where claim = $1`,
            [lease.token],
          );
          expect(held.map((r) => r.id).sort((a, b) => a - b)).toEqual(
            rows.map((r) => r.id).sort((a, b) => a - b),
          );
          for (const r of held) {
            const left = r.until.getTime() - r.db_now.getTime();
            expect(left).toBeGreaterThan(0);
            expect(left).toBeLessThanOrEqual(5000);
          }
          leases.push({ token: lease.token, until: held.map((r) => r.until) });
          handled.push(...(await queue.completeRows(rows, lease)));
          if (handled.length >= ids.length) all.resolve();
        },
      }).start();
    }
    await all.promise;
    expect([...handled].sort((a, b) => a - b)).toEqual(ids);
    expect(new Set(leases.map((l) => l.token)).size).toBe(leases.length);
    expect(leases.every((l) => l.until.length <= 7)).toBe(true);
    expect(await queue.remaining()).toEqual([]);
    expect(lines).toEqual([]);
  });

  test("rows of a worker that stopped answering wait out its lease, then another worker takes them", async () => {
    const queue = await freshQueue();
    await queue.insert([1, 2, 3]);
    const crashed = deferred<Lease>();
    const resume = deferred();
    // The first worker claims and then hangs, as a crashed process would (its rows stay claimed).
    const first = worker(queue, {
      leaseMs: 400,
      handle: async (_rows, lease) => {
        crashed.resolve(lease);
        await resume.promise;
      },
    });
    first.start();
    const stale = await crashed.promise;
    const claimedAt = Date.now();
    const takenOver = deferred<{ ids: number[]; at: number }>();
    worker(queue, {
      handle: async (rows, lease) => {
        const at = Date.now();
        takenOver.resolve({
          ids: await queue.completeRows(rows, lease),
          at,
        });
      },
    }).start();
    const { ids, at } = await takenOver.promise;
    expect(ids.sort()).toEqual([1, 2, 3]);
    // Not before the lease ended (the clocks are one machine's; 50 ms for rounding).
    expect(at - claimedAt).toBeGreaterThanOrEqual(350);
    // The first worker comes back: its token no longer holds anything, so it settles nothing.
    expect(await queue.complete([1, 2, 3], stale)).toEqual([]);
    resume.resolve();
    await first.stop();
  });

  test("failed rounds back off minMs, doubling to maxMs, and a wake does not cut that short", async () => {
    const queue = await freshQueue();
    await queue.insert([1]);
    const rounds: number[] = [];
    const done = deferred();
    const w = worker(queue, {
      backoff: { minMs: 40, maxMs: 160 },
      wakeDuringBackoff: false,
      handle: async (rows, lease) => {
        rounds.push(Date.now());
        if (rounds.length < 5) {
          await db.sql.unsafe(
            `update ${queue.table} set claim = null, claimed_until = null, attempts = attempts + 1 where claim = $1`,
            [lease.token],
          );
          w.wake(); // must not cut the backoff short
          return { failed: true };
        }
        await queue.completeRows(rows, lease);
        done.resolve();
        return { failed: false };
      },
    });
    w.start();
    await done.promise;
    const gaps = rounds.slice(1).map((t, i) => t - (rounds[i] as number));
    const expected = [40, 80, 160, 160];
    gaps.forEach((gap, i) => {
      expect(gap).toBeGreaterThanOrEqual((expected[i] as number) - 2);
    });
    expect(await queue.remaining()).toEqual([]);
  });

  test("a round that throws is logged, released at once, and retried after the backoff", async () => {
    const queue = await freshQueue();
    await queue.insert([1]);
    const { logger, lines } = memoryLogger();
    let calls = 0;
    const done = deferred<number[]>();
    const w = worker(queue, {
      logger,
      leaseMs: 60_000,
      backoff: { minMs: 30, maxMs: 30 },
      release: (lease) =>
        db.sql.unsafe(`update ${queue.table} set claim = null, claimed_until = null where claim = $1`, [
          lease.token,
        ]),
      handle: async (rows, lease) => {
        calls += 1;
        if (calls === 1) throw new Error("the handler broke");
        done.resolve(await queue.completeRows(rows, lease));
      },
    });
    w.start();
    // Without the release the row would wait out the 60 s lease.
    expect(await done.promise).toEqual([1]);
    expect(lines.filter((l) => l.level === "error").map((l) => l.msg)).toEqual(["test round failed"]);
  });

  test("stop() while a round is busy waits for it; stop() while the claim is stuck cancels the query", async () => {
    const queue = await freshQueue();
    await queue.insert([1]);
    const inHandler = deferred();
    const finish = deferred();
    let finished = false;
    const busy = worker(queue, {
      handle: async (rows, lease) => {
        inHandler.resolve();
        await finish.promise;
        await queue.completeRows(rows, lease);
        finished = true;
      },
    });
    busy.start();
    await inHandler.promise;
    const stopping = busy.stop();
    await Bun.sleep(50);
    expect(finished).toBe(false);
    finish.resolve();
    await stopping;
    expect(finished).toBe(true);
    expect(await queue.remaining()).toEqual([]);

    // A claim blocked behind a lock: stop() cancels it in PostgreSQL instead of waiting.
    await queue.insert([2]);
    const took = await stopWhileLocked(db.sql, queue.table, "%skip locked%", () => {
      const stuck = worker(queue);
      stuck.start();
      return stuck;
    });
    expect(took).toBeLessThan(5000);
    expect(await queue.remaining()).toEqual([2]);
  });

  test("stop() at any moment of busy rounds returns, whatever its claim transaction was doing, and cancels nobody else's statement", async () => {
    // postgres.js leaves a transaction stuck when a query is cancelled before it was sent; stop()
    // must never do that (lease-worker.ts). 40 stops at random moments of three workers' rounds.
    const queue = await freshQueue();
    await queue.insert(Array.from({ length: 30 }, (_, i) => i + 1));
    const claimInTransaction = async (lease: Lease): Promise<Item[]> => {
      const rows: Item[] = [];
      await db.sql.begin(async (tx) => {
        await tx.unsafe("select set_config('statement_timeout', '10000ms', true)");
        const query = tx.unsafe<Item[]>(
          `with due as (select id from ${queue.table}
             where claimed_until is null or claimed_until < now() order by id limit 10 for update skip locked)
           update ${queue.table} i set claim = $1, claimed_until = now() + interval '10 ms'
           from due where i.id = due.id returning i.id, i.attempts`,
          [lease.token],
        );
        rows.push(...(await lease.cancellable(query)));
      });
      return rows;
    };
    // Bystanders on the same pool: a cancel that reached a connection after the claim it was meant
    // for had finished would interrupt one of their statements instead.
    const bystanderErrors: string[] = [];
    let bystanding = true;
    const bystanders = [1, 2].map(async () => {
      while (bystanding) {
        await db.sql`select pg_sleep(0.002)`.catch((err: Error) => bystanderErrors.push(err.message));
      }
    });
    const outcomes: string[] = [];
    for (let i = 0; i < 40; i++) {
      const group = [1, 2, 3].map(() =>
        worker(queue, { claim: claimInTransaction, handle: async () => {}, pollIntervalMs: 1 }),
      );
      for (const w of group) w.start();
      await Bun.sleep(Math.random() * 20);
      outcomes.push(
        await Promise.race([
          Promise.all(group.map((w) => w.stop())).then(() => "stopped"),
          Bun.sleep(5000).then(() => "hung"),
        ]),
      );
    }
    bystanding = false;
    await Promise.all(bystanders);
    expect(outcomes.filter((o) => o !== "stopped")).toEqual([]);
    expect(bystanderErrors).toEqual([]);
  });

  test("a cancelled claim returns only once the server took the cancel, so the connection cannot carry it to a later statement", async () => {
    // A cancel names a server process, not a query: the claim must keep its connection until the
    // cancel was taken. Here the claim finishes at once, but the cancel is taken only on `taken`.
    const queue = await freshQueue();
    const taken = deferred();
    const claimFinished = deferred();
    let claimReturned = false;
    const w = worker(queue, {
      claim: async (lease) => {
        const query = Object.assign(
          claimFinished.promise.then(() => [] as Item[]),
          { cancel: () => taken.promise },
        );
        const rows = await lease.cancellable(query);
        claimReturned = true;
        return rows;
      },
    });
    w.start();
    await Bun.sleep(20);
    const stopping = w.stop();
    await Bun.sleep(20); // stop() sent the cancel
    claimFinished.resolve();
    await Bun.sleep(50);
    expect(claimReturned).toBe(false);
    taken.resolve();
    await stopping;
    expect(claimReturned).toBe(true);
  });

  test("wakes on wake(), at a wake(at) time, and on NOTIFY, long before its poll", async () => {
    const queue = await freshQueue();
    const channel = `${queue.schema}_items`;
    let next = deferred<number[]>();
    const w = worker(queue, {
      pollIntervalMs: 60_000,
      listen: { sql: db.sql, channel },
      handle: async (rows, lease) => {
        next.resolve(await queue.completeRows(rows, lease));
      },
    });
    w.start();
    // Let the first (empty) round finish and the worker fall asleep for its 60 s poll.
    await Bun.sleep(200);

    await queue.insert([1]);
    let started = Date.now();
    w.wake();
    expect(await next.promise).toEqual([1]);
    expect(Date.now() - started).toBeLessThan(10_000);

    next = deferred();
    await Bun.sleep(100);
    const due = new Date(Date.now() + 300);
    await queue.insert([2], due);
    w.wake(due);
    expect(await next.promise).toEqual([2]);
    expect(Date.now()).toBeGreaterThanOrEqual(due.getTime());

    next = deferred();
    await Bun.sleep(100);
    started = Date.now();
    await db.sql.begin(async (tx) => {
      await tx.unsafe(`insert into ${queue.table} (id) values (3)`);
      await tx.unsafe("select pg_notify($1, '')", [channel]);
    });
    expect(await next.promise).toEqual([3]);
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  test("untilWoken keeps no timer: only wake() without a time runs a round", async () => {
    const queue = await freshQueue();
    let rounds = 0;
    const woken = deferred<number[]>();
    const w = worker(queue, {
      untilWoken: true,
      claim: (lease) => {
        rounds += 1;
        return queue.claim(lease, 10);
      },
      handle: async (rows, lease) => {
        woken.resolve(await queue.completeRows(rows, lease));
      },
    });
    w.start();
    await queue.insert([1]);
    w.wake(new Date(Date.now() + 50));
    await Bun.sleep(300);
    expect(rounds).toBe(1);
    w.wake();
    expect(await woken.promise).toEqual([1]);
    expect(rounds).toBe(2);
  });

  test("runOnce and drain claim outside the loop: drain until a round is not full", async () => {
    const queue = await freshQueue();
    await queue.insert(Array.from({ length: 25 }, (_, i) => i + 1));
    const w = worker(queue, { batchSize: 10 });
    expect(await w.runOnce()).toBe(10);
    expect(await w.drain()).toBe(15);
    expect(await w.runOnce()).toBe(0);
    expect(await queue.remaining()).toEqual([]);
  });
});
