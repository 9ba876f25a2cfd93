/**
 * A service's SQL migrations, embedded in its code when it is transpiled or bundled: import
 * `embedMigrations` with `with { type: "macro" }` and Bun runs it at build time, inlining the files'
 * contents as a literal. A bundled service (the container image, deploy/images) therefore carries its
 * migrations inside its JavaScript and needs no folder of `.sql` files beside it, and bundles can
 * share chunks freely. `bun run` and `bun test` evaluate the macro too, so every run mode reads the
 * same files.
 */
import { join } from "node:path";
import { type Migration, readMigrations } from "./migrate";

/** The repository root, from which macro arguments are resolved. */
const root = join(import.meta.dir, "..", "..", "..");

/**
 * Reads the `NNNN_name.sql` files of `dir` (relative to the repository root, such as
 * `services/task/migrations`: a macro's arguments must be literals), ordered by version.
 */
export function embedMigrations(dir: string): Migration[] {
  return readMigrations(join(root, dir));
}
