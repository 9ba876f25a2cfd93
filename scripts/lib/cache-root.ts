/**
 * The one cache directory of the project's downloaded and built tools (Kafka's jars, the Dapr
 * binaries, the kube and observability tools, Bun for the images): `TODO_CACHE_DIR`, else
 * `$XDG_CACHE_HOME/todo`, else `~/.cache/todo` — outside the checkout, so a second clone needs
 * no network.
 */
import { homedir } from "node:os";
import { join } from "node:path";

/** The cache root: `TODO_CACHE_DIR`, else `$XDG_CACHE_HOME/todo`, else `~/.cache/todo`. */
export function cacheRoot(env: Readonly<Record<string, string | undefined>> = process.env): string {
  const explicit = env.TODO_CACHE_DIR?.trim();
  if (explicit) return explicit;
  const xdg = env.XDG_CACHE_HOME?.trim();
  return join(xdg || join(homedir(), ".cache"), "todo");
}
