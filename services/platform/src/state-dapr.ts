/**
 * A small key/value state port with optimistic concurrency, and its two adapters: the Dapr state API
 * (`createDaprState`, a `state.postgresql` component in the Dapr run mode) and an in-process map
 * (`createMemoryState`, for tests). Its first user is the task service's daily digest, which claims
 * "user U had their digest on local date D" here so replicas never both send one (docs/digest.md).
 *
 * The contract is first-write-wins: a write names the version it expects (the etag a `get` returned,
 * or none for a key that must not exist yet) and fails, returning false, when somebody else wrote or
 * deleted the key in between. Two writers racing from the same read therefore never both succeed.
 * Values are strings (JSON-encode anything richer).
 */
import { type DaprClient, StateConcurrencyEnum, StateConsistencyEnum } from "@dapr/dapr";
import { withDeadline } from "./dapr";

/** A stored value and its version. */
export interface StateEntry {
  readonly value: string;
  /** Opaque; changes on every write. Pass it back to `setIf`/`deleteIf`. */
  readonly etag: string;
}

/** Key/value state with first-write-wins writes. */
export interface KeyValueState {
  /** The value of `key` and its etag; undefined when the key does not exist. */
  get(key: string): Promise<StateEntry | undefined>;
  /**
   * Writes `value` under `key` only when the key is still as the caller saw it: absent when `etag`
   * is undefined, else still at `etag`. True when written; false when somebody else wrote (or
   * deleted) it first. Rejects only when the store could not be asked.
   */
  setIf(key: string, value: string, etag: string | undefined): Promise<boolean>;
  /** Deletes `key` only when it is still at `etag`; false when it changed or vanished since. */
  deleteIf(key: string, etag: string): Promise<boolean>;
}

/**
 * An in-process `KeyValueState` (a map; each call is atomic, as JavaScript runs one at a time). For
 * tests and single-process use; it forgets everything when the process ends.
 */
export function createMemoryState(): KeyValueState & {
  /** Every key and value, for assertions. */
  snapshot(): Map<string, string>;
} {
  const entries = new Map<string, StateEntry>();
  let version = 0;
  const matches = (key: string, etag: string | undefined) => entries.get(key)?.etag === etag;
  return {
    async get(key) {
      return entries.get(key);
    },
    async setIf(key, value, etag) {
      if (!matches(key, etag)) return false;
      version += 1;
      entries.set(key, { value, etag: String(version) });
      return true;
    },
    async deleteIf(key, etag) {
      if (!matches(key, etag)) return false;
      entries.delete(key);
      return true;
    },
    snapshot: () => new Map([...entries].map(([k, e]) => [k, e.value])),
  };
}

/** Options of `createDaprState`. */
export interface DaprStateOptions {
  /** The state store component, for example `statestore`. */
  readonly storeName: string;
  /** The longest a call may take (the SDK waits for a missing sidecar instead of failing); default 5 s. */
  readonly timeoutMs?: number;
}

/** What Dapr's state API answers per key of a bulk get. */
interface BulkItem {
  key?: string;
  data?: unknown;
  etag?: string;
  error?: string;
}

/** A state operation as the sidecar reads it (the SDK types `etag` as `{ value }`, but the wire has a string). */
interface WireRequest {
  key: string;
  value?: string;
  etag?: string;
  options: { concurrency: StateConcurrencyEnum; consistency: StateConsistencyEnum };
}

/** The SDK's type of one transaction operation's request. */
type SdkRequest = NonNullable<Parameters<DaprClient["state"]["transaction"]>[1]>[number]["request"];

const FIRST_WRITE = {
  concurrency: StateConcurrencyEnum.CONCURRENCY_FIRST_WRITE,
  consistency: StateConsistencyEnum.CONSISTENCY_STRONG,
};

/**
 * A `KeyValueState` on a Dapr state store (which must be transactional, as `state.postgresql` is),
 * through `@dapr/dapr`'s client:
 *
 * - `get` uses `state.getBulk` with one key, because the SDK's `state.get` over HTTP returns the
 *   value without its ETag (the sidecar sends it as a header the SDK drops); the bulk answer carries
 *   it per key.
 * - `setIf` and `deleteIf` send one upsert or delete with the etag and `concurrency: first-write`
 *   through `state.transaction`. (`state.save` and `state.delete` would do the same, but the SDK logs
 *   every refused write at error level — and replicas racing for the same claims every morning are
 *   expected to be refused.) With an etag the store writes only that version; without one the
 *   upsert must create the key (`state.postgresql` inserts, and an existing key fails).
 * - A refused write and a failed one look alike (the sidecar answers a failed transaction with 500),
 *   so after an error the key is read again: when its etag is no longer the one expected (changed,
 *   created or gone) somebody else got there first (false); when it is unchanged the store failed
 *   (rejects).
 *
 * Values are saved as JSON strings, as Dapr stores them.
 */
export function createDaprState(client: DaprClient, options: DaprStateOptions): KeyValueState {
  const store = options.storeName;
  const timeoutMs = options.timeoutMs ?? 5_000;
  const call = <T>(promise: Promise<T>, what: string) =>
    withDeadline(promise, timeoutMs, `Dapr state ${what} on ${store}`);

  const get = async (key: string): Promise<StateEntry | undefined> => {
    const items = (await call(client.state.getBulk(store, [key]), `get ${key}`)) as BulkItem[];
    const item = items.find((i) => i.key === key) ?? items[0];
    if (item?.error) throw new Error(`Dapr state get ${key} on ${store}: ${item.error}`);
    if (!item || item.etag === undefined || item.data === undefined || item.data === null) return undefined;
    const value = typeof item.data === "string" ? item.data : JSON.stringify(item.data);
    return { value, etag: item.etag };
  };

  /** Runs one conditional operation on `key`, expected to be at `etag` (absent when undefined). */
  const conditional = async (
    operation: "upsert" | "delete",
    request: WireRequest,
    etag: string | undefined,
  ): Promise<boolean> => {
    const what = `${operation} ${request.key}`;
    try {
      await call(
        client.state.transaction(store, [{ operation, request: request as unknown as SdkRequest }]),
        what,
      );
      return true;
    } catch (err) {
      const now = await get(request.key).catch(() => {
        throw new Error(`Dapr state ${what} on ${store} failed`, { cause: err });
      });
      if (now?.etag !== etag) return false;
      throw new Error(`Dapr state ${what} on ${store} failed`, { cause: err });
    }
  };

  return {
    get,
    setIf: (key, value, etag) =>
      conditional(
        "upsert",
        { key, value, ...(etag !== undefined ? { etag } : {}), options: FIRST_WRITE },
        etag,
      ),
    deleteIf: (key, etag) => conditional("delete", { key, etag, options: FIRST_WRITE }, etag),
  };
}
