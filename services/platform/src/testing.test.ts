import { describe, expect, test } from "bun:test";
import postgres from "postgres";
import { createTestDatabase, requireDatabaseUrl } from "./testing";

describe("test databases", () => {
  test("refuses to run without DATABASE_URL instead of skipping", () => {
    const saved = process.env.DATABASE_URL;
    delete process.env.DATABASE_URL;
    try {
      expect(() => requireDatabaseUrl()).toThrow(/DATABASE_URL is not set/);
    } finally {
      process.env.DATABASE_URL = saved;
    }
  });

  test("each call gets its own empty database, dropped afterwards", async () => {
    const one = await createTestDatabase();
    const two = await createTestDatabase();
    try {
      expect(one.url).not.toBe(two.url);
      await one.sql`create table only_here (x int)`;
      const [seen] = await two.sql<{ n: number }[]>`
        select count(*)::int as n from information_schema.tables where table_name = 'only_here'`;
      expect(seen?.n).toBe(0);
    } finally {
      await one.drop();
      await two.drop();
    }
    const admin = postgres(requireDatabaseUrl(), { max: 1, onnotice: () => {} });
    try {
      const names = [one.url, two.url].map((u) => new URL(u).pathname.slice(1));
      const left = await admin`select datname from pg_database where datname = any(${names})`;
      expect(left.length).toBe(0);
    } finally {
      await admin.end();
    }
  });
});
