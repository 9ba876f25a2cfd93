/**
 * The `KeyValueState` port (state.ts) on the Dapr state API: a `state.postgresql` component in the
 * Dapr run mode (docs/dapr.md).
 */
import { type DaprClient, StateConcurrencyEnum, StateConsistencyEnum } from "@dapr/dapr";
import { withDeadline } from "./dapr";
import type { KeyValueState, StateEntry } from "./state";

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
