/**
 * The key/value state port with optimistic concurrency, and its in-process adapter. The Dapr adapter
 * (`state-dapr.ts`, a `state.postgresql` component in the Dapr run mode) is the one the services use;
 * the first user is the task service's daily digest, which claims "user U had their digest on local
 * date D" here so replicas never both send one (docs/digest.md).
 *
 * The contract is first-write-wins: a write names the version it expects (the etag a `get` returned,
 * or none for a key that must not exist yet) and fails, returning false, when somebody else wrote or
 * deleted the key in between. Two writers racing from the same read therefore never both succeed.
 * Values are strings (JSON-encode anything richer).
 */

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
