/**
 * Per-address rate limits count per network: the keying of client addresses (IPv4 by address, IPv6
 * by /64, IPv4-mapped IPv6 as IPv4, any spelling), and on a real PostgreSQL that two addresses of one
 * /64 share a counter while the next /64 and an IPv4 client have their own.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { Code, ConnectError } from "@connectrpc/connect";
import { createTestDatabase, type TestDatabase } from "@todo/platform/testing";
import { addressBucket, bucketKey, createRateLimiter, type LimitKey } from "./rate-limit";
import { migrateIdentity } from "./store";

describe("addressBucket", () => {
  test.each([
    ["203.0.113.7", "203.0.113.7"],
    [" 203.0.113.7 ", "203.0.113.7"],
    ["::ffff:203.0.113.7", "203.0.113.7"],
    ["::FFFF:203.0.113.7", "203.0.113.7"],
    ["::ffff:cb00:7107", "203.0.113.7"],
    ["2001:db8:1:2::1", "2001:db8:1:2::/64"],
    ["2001:db8:1:2:ffff:ffff:ffff:ffff", "2001:db8:1:2::/64"],
    ["2001:0DB8:0001:0002:0000:0000:0000:0001", "2001:db8:1:2::/64"],
    ["2001:db8::1", "2001:db8::/64"],
    ["2001:db8:0:0:1::1", "2001:db8::/64"],
    ["[2001:db8:1:2::9]", "2001:db8:1:2::/64"],
    ["fe80::1%eth0", "fe80::/64"],
    ["fe80::abcd%25", "fe80::/64"],
    ["::", "::/64"],
    ["::1", "::/64"],
    ["2001:db8:1:3::1", "2001:db8:1:3::/64"],
  ])("%p → %p", (address, bucket) => {
    expect(addressBucket(address)).toBe(bucket);
  });

  test("what is not an IP address is kept, lower-cased", () => {
    expect(addressBucket("Unknown")).toBe("unknown");
    expect(addressBucket("1.2.3")).toBe("1.2.3");
    expect(addressBucket("2001:db8::1::2")).toBe("2001:db8::1::2");
    expect(addressBucket("0x7f.1")).toBe("0x7f.1");
  });

  test("only address keys are bucketed", () => {
    expect(bucketKey("signin-address:2001:db8:1:2::1")).toBe("signin-address:2001:db8:1:2::/64");
    expect(bucketKey("signup-address:::ffff:10.0.0.1")).toBe("signup-address:10.0.0.1");
    expect(bucketKey("signin-account:ada@2001:db8::1")).toBe("signin-account:ada@2001:db8::1");
    expect(bucketKey("sweep-me")).toBe("sweep-me");
  });
});

let db: TestDatabase;

beforeAll(async () => {
  db = await createTestDatabase();
  await migrateIdentity(db.sql);
});

afterAll(async () => {
  await db?.drop();
});

async function outcome(p: Promise<unknown>): Promise<Code | "ok"> {
  try {
    await p;
    return "ok";
  } catch (err) {
    return ConnectError.from(err).code;
  }
}

describe("the limiter counts one /64 as one client", () => {
  test("two addresses in one /64 share a bucket; the next /64 and IPv4 do not", async () => {
    const limiter = createRateLimiter(db.sql, {
      signInPerAccount: 10,
      signInPerAddress: 3,
      signUpPerAddress: 3,
      windowSeconds: 60,
    });
    const from = (address: string): LimitKey[] => [
      { key: `signin-address:${address}`, limit: 3, what: "sign-in attempts from this address" },
    ];
    const inOne64 = ["2001:db8:1:2::1", "2001:db8:1:2:aaaa::2", "2001:DB8:1:2:0:0:0:3", "2001:db8:1:2::4"];
    const codes = [];
    for (const a of inOne64) codes.push(await outcome(limiter.take(from(a))));
    expect(codes).toEqual(["ok", "ok", "ok", Code.ResourceExhausted]);
    const [row] = await db.sql<{ hits: number }[]>`
      select hits from identity.rate_limits where key = 'signin-address:2001:db8:1:2::/64'`;
    expect(row?.hits).toBe(4);
    // A neighbouring /64 and an IPv4 client (also written IPv4-mapped) count on their own.
    expect(await outcome(limiter.take(from("2001:db8:1:3::1")))).toBe("ok");
    expect(await outcome(limiter.take(from("198.51.100.1")))).toBe("ok");
    expect(await outcome(limiter.take(from("::ffff:198.51.100.1")))).toBe("ok");
    expect(await outcome(limiter.take(from("198.51.100.2")))).toBe("ok");
    const [v4] = await db.sql<{ hits: number }[]>`
      select hits from identity.rate_limits where key = 'signin-address:198.51.100.1'`;
    expect(v4?.hits).toBe(2);
    // A refund from another address of the /64 gives the shared slot back.
    await limiter.refund(from("2001:db8:1:2::ffff"));
    const [after] = await db.sql<{ hits: number }[]>`
      select hits from identity.rate_limits where key = 'signin-address:2001:db8:1:2::/64'`;
    expect(after?.hits).toBe(3);
  });
});
