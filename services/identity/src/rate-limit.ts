/**
 * Rate limits for SignIn and SignUp, so passwords cannot be guessed at speed: fixed-window counters
 * in `identity.rate_limits`, in PostgreSQL because every replica of the identity service (and the
 * embedded mode's PGlite, with one process) must count against the same numbers. Each attempt
 * takes a slot first — one upsert that returns the new count, so 100 parallel attempts get 100
 * distinct counts and at most `limit` of them pass — and a sign-in that succeeds gives its slot
 * back, so the limits count failed attempts. Over a limit the answer is RESOURCE_EXHAUSTED with a
 * `google.rpc.RetryInfo` detail and a `Retry-After` header (seconds), until the window ends.
 *
 * Per-address limits count per network, not per address: an IPv4 client has one address, but an
 * IPv6 client is given a whole /64 (RFC 6177; SLAAC picks any of its 2^64 interface ids, and
 * privacy extensions rotate them), so counting per IPv6 address would let one client take 2^64
 * fresh budgets. An IPv6 address is counted as its /64, an IPv4-mapped one (`::ffff:1.2.3.4`) as
 * the IPv4 address it is; see {@link addressBucket}.
 */
import { isIP } from "node:net";
import { create } from "@bufbuild/protobuf";
import { durationFromMs } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError } from "@connectrpc/connect";
import { RetryInfoSchema } from "@todo/gen/google/rpc/error_details_pb";
import { envInt, type Sql } from "@todo/platform";
import ipaddr from "ipaddr.js";

/** The limits; a limit of 0 turns that limit off. */
export interface RateLimitSettings {
  /** Failed sign-ins per account (e-mail address, whether or not it has an account) per window. */
  readonly signInPerAccount: number;
  /** Failed sign-ins per client address per window. */
  readonly signInPerAddress: number;
  /** Sign-ups (successful or not) per client address per window. */
  readonly signUpPerAddress: number;
  /** The window, in seconds. */
  readonly windowSeconds: number;
}

/**
 * `SIGN_IN_ACCOUNT_LIMIT` (10), `SIGN_IN_ADDRESS_LIMIT` (100), `SIGN_UP_ADDRESS_LIMIT` (100) and
 * `RATE_LIMIT_WINDOW_SECONDS` (900: 15 minutes).
 */
export function rateLimitSettingsFromEnv(): RateLimitSettings {
  return {
    signInPerAccount: envInt("SIGN_IN_ACCOUNT_LIMIT", 10, 0, 1_000_000),
    signInPerAddress: envInt("SIGN_IN_ADDRESS_LIMIT", 100, 0, 1_000_000),
    signUpPerAddress: envInt("SIGN_UP_ADDRESS_LIMIT", 100, 0, 1_000_000),
    windowSeconds: envInt("RATE_LIMIT_WINDOW_SECONDS", 900, 1, 86_400),
  };
}

/** One counter an attempt is charged to. */
export interface LimitKey {
  /**
   * The row's key, such as `signin-account:ada@example.com`. A key `<kind>-address:<address>` is
   * charged to the address's bucket ({@link addressBucket}): `signin-address:2001:db8::1` and
   * `signin-address:2001:db8::2` are one counter, `signin-address:2001:db8::/64`.
   */
  readonly key: string;
  /** How many attempts the window allows (0: unlimited, not counted). */
  readonly limit: number;
  /** Says what was limited, in the error message ("sign-in attempts for this account"). */
  readonly what: string;
}

/** Counts attempts against limits. */
export interface RateLimiter {
  /**
   * Charges one attempt to each key; throws RESOURCE_EXHAUSTED when any is over its limit (the
   * attempt stays charged: hammering does not help, and the window still ends on time).
   */
  take(keys: readonly LimitKey[]): Promise<void>;
  /** Gives back the attempt `take` charged (a sign-in that succeeded). */
  refund(keys: readonly LimitKey[]): Promise<void>;
  /** Deletes up to `limit` counters whose window has ended; returns how many. */
  sweep(limit: number): Promise<number>;
}

/**
 * The bucket a client address is counted in: an IPv4 address itself (`203.0.113.7`); an IPv6
 * address's /64 prefix in canonical form (`2001:db8:1:2::/64`, from any spelling — compressed,
 * expanded, upper case, with a zone id such as `fe80::1%eth0`); an IPv4-mapped IPv6 address
 * (`::ffff:203.0.113.7`, `::ffff:cb00:7107`) as its IPv4 address. Anything that is not an IP address
 * in standard notation (a proxy's odd entry, `1.2.3`) is kept as it is, trimmed and lower-cased.
 */
export function addressBucket(address: string): string {
  const trimmed = address.trim().toLowerCase();
  // `[2001:db8::1]` as some proxies write it.
  const bare = trimmed.startsWith("[") && trimmed.endsWith("]") ? trimmed.slice(1, -1) : trimmed;
  // node:net is strict (no inet_aton forms such as `1.2.3` or `0x7f.1`, which ipaddr.js accepts).
  if (isIP(bare) === 0) return trimmed;
  const ip = ipaddr.process(bare); // IPv4-mapped IPv6 → IPv4
  if (ip.kind() === "ipv4") return ip.toString();
  const parts = (ip as ipaddr.IPv6).parts.slice(0, 4);
  return `${new ipaddr.IPv6([...parts, 0, 0, 0, 0]).toString()}/64`;
}

/** The counter a key is charged to: an `…-address:` key's address becomes its bucket. */
export function bucketKey(key: string): string {
  const match = /^([\w-]*-address):(.*)$/s.exec(key);
  return match?.[1] && match[2] !== undefined ? `${match[1]}:${addressBucket(match[2])}` : key;
}

/** Creates the limiter on `sql`. */
export function createRateLimiter(sql: Sql, settings: RateLimitSettings): RateLimiter {
  const window = settings.windowSeconds;
  return {
    async take(keys) {
      let waitMs = 0;
      let over: LimitKey | undefined;
      for (const given of keys) {
        if (given.limit <= 0) continue;
        const k = { ...given, key: bucketKey(given.key) };
        // One statement: a new or expired window starts at 1, else the count goes up by one. The
        // row lock serializes concurrent attempts on one key.
        const [row] = await sql<{ hits: number; remaining_ms: number }[]>`
          insert into identity.rate_limits as r (key, window_start, hits)
          values (${k.key}, clock_timestamp(), 1)
          on conflict (key) do update set
            window_start = case when r.window_start <= clock_timestamp() - make_interval(secs => ${window})
              then clock_timestamp() else r.window_start end,
            hits = case when r.window_start <= clock_timestamp() - make_interval(secs => ${window})
              then 1 else r.hits + 1 end
          returning hits,
            (extract(epoch from r.window_start + make_interval(secs => ${window}) - clock_timestamp())
              * 1000)::float8 as remaining_ms`;
        if (row && row.hits > k.limit && row.remaining_ms > waitMs) {
          waitMs = row.remaining_ms;
          over = k;
        }
      }
      if (over) throw tooMany(over, waitMs);
    },
    async refund(keys) {
      for (const k of keys) {
        if (k.limit <= 0) continue;
        await sql`update identity.rate_limits set hits = greatest(hits - 1, 0) where key = ${bucketKey(k.key)}`;
      }
    },
    async sweep(limit) {
      const rows = await sql`
        delete from identity.rate_limits where key in (
          select key from identity.rate_limits
          where window_start <= clock_timestamp() - make_interval(secs => ${window})
          limit ${limit}
        ) returning 1`;
      return rows.length;
    },
  };
}

/** The RESOURCE_EXHAUSTED error for `key`, retry after `waitMs` (rounded up to whole seconds). */
function tooMany(key: LimitKey, waitMs: number): ConnectError {
  const seconds = Math.max(1, Math.ceil(waitMs / 1000));
  const when = seconds >= 120 ? `${Math.ceil(seconds / 60)} minutes` : `${seconds} seconds`;
  return new ConnectError(
    `too many ${key.what}: try again in ${when}`,
    Code.ResourceExhausted,
    // Connect sends error metadata as response headers (gRPC: trailers): HTTP clients get Retry-After.
    { "retry-after": String(seconds) },
    [
      {
        desc: RetryInfoSchema,
        value: create(RetryInfoSchema, { retryDelay: durationFromMs(seconds * 1000) }),
      },
    ],
  );
}
