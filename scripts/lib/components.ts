/**
 * The registry of local infrastructure components, in start order (`down` goes in reverse).
 * Adding a component (Kafka, Dapr…) means implementing {@link InfraComponent} in its own file and
 * listing it here; `scripts/infra.ts` and `scripts/test.ts` pick it up from this list.
 */
import { join } from "node:path";
import type { InfraComponent, InfraContext } from "./infra-component.ts";
import { kafka } from "./kafka.ts";
import { postgres } from "./postgres.ts";

/** Every component, in the order `up` starts them. */
export const components: readonly InfraComponent[] = [postgres, kafka];

/** Absolute path of the repository root (the parent of `scripts/`). */
export const repoRoot: string = join(import.meta.dir, "..", "..");

/** Path of the env file that `infra.ts up` keeps current: `<repo>/.infra/env`. */
export const envFilePath: string = join(repoRoot, ".infra", "env");

/** The context handed to components: this checkout, with progress on stderr. */
export function createContext(): InfraContext {
  return {
    repoRoot,
    stateDir: join(repoRoot, ".infra"),
    log: (message) => process.stderr.write(`[infra] ${message}\n`),
  };
}

/**
 * Resolves component names from the command line; no names means all of them.
 * Throws with the list of known names for an unknown one.
 */
export function selectComponents(names: readonly string[]): InfraComponent[] {
  if (names.length === 0) return [...components];
  return names.map((name) => {
    const component = components.find((c) => c.name === name);
    if (!component) {
      throw new Error(`unknown component "${name}" (known: ${components.map((c) => c.name).join(", ")})`);
    }
    return component;
  });
}
