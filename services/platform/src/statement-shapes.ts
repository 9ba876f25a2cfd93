/**
 * Which statement texts built at run time (a list's filter and sort, a search's match) are sent as
 * prepared statements.
 *
 * postgres.js sends a statement with parameters that is not prepared in two round trips (Parse and
 * Describe to learn the parameters' types, then Bind and Execute), and keeps every statement it has
 * prepared for the life of its connection, without a bound. The texts of ListTasks follow the shape
 * of the caller's filter, so preparing them all would let a client grow every connection, and the
 * server process behind it, without end. A `StatementShapes` prepares a text once it has been seen
 * `admitAfter` times, for at most `capacity` texts; any other text runs unprepared: correct, one
 * round trip slower. Sightings are counted in a map of at most `capacity * 8` texts, emptied when
 * full, so no input makes it grow either.
 */

/** The options to pass to `sql.unsafe` for a statement text. */
export interface PrepareOption {
  readonly prepare: boolean;
}

const PREPARE: PrepareOption = { prepare: true };
const DONT: PrepareOption = { prepare: false };

/** Admits up to `capacity` statement texts for preparing, as the module says. */
export class StatementShapes {
  private readonly admitted = new Set<string>();
  private readonly sightings = new Map<string, number>();

  constructor(
    readonly capacity = 64,
    readonly admitAfter = 2,
  ) {}

  /** `{ prepare: true }` once `text` is admitted, else `{ prepare: false }`. */
  options(text: string): PrepareOption {
    if (this.admitted.has(text)) return PREPARE;
    if (this.admitted.size >= this.capacity) return DONT;
    const seen = (this.sightings.get(text) ?? 0) + 1;
    if (seen >= this.admitAfter) {
      this.sightings.delete(text);
      this.admitted.add(text);
      return PREPARE;
    }
    if (this.sightings.size >= this.capacity * 8) this.sightings.clear();
    this.sightings.set(text, seen);
    return DONT;
  }

  /** How many texts are admitted. */
  get size(): number {
    return this.admitted.size;
  }

  /** How many texts are being counted towards admission. */
  get counted(): number {
    return this.sightings.size;
  }
}
