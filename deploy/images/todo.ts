/**
 * The `todo` image's entry point, bundled to `/app/todo.js` (ENTRYPOINT `bun /app/todo.js`): the
 * first argument names the service to run and the rest goes to that service's main, so
 * `todo task` runs the task service and `todo task migrate` reaches the task main as `migrate`.
 *
 * It removes the service name from `process.argv` and imports `./services/<name>/src/main.js`
 * beside itself — the layout of the image's `/app` (docs/images.md), not of the repository, so it
 * only runs from the bundle. One image serves every service; the command (a Kubernetes
 * container's `args`) picks which.
 */

/** The services the image carries (scripts/lib/services.ts lists the same; a test keeps them equal). */
export const SERVICE_NAMES = ["identity", "task", "tag", "scheduler", "notification", "assistant"] as const;

/** One of {@link SERVICE_NAMES}. */
export type ServiceName = (typeof SERVICE_NAMES)[number];

/** What to run: the service and the `process.argv` its main should see (the name removed). */
export interface Selection {
  readonly service: ServiceName;
  readonly argv: string[];
}

/** How to call the image, for the usage error. */
export function usage(): string {
  return [
    "usage: todo <service> [migrate]",
    `  <service>: one of ${SERVICE_NAMES.join(", ")}`,
    "  todo task          runs the task service",
    "  todo task migrate  applies the task service's migrations and exits",
  ].join("\n");
}

/**
 * Reads the service name from `argv[2]` (`argv` is `[bun, script, service, …args]`). Returns the
 * selection, or the message to print when the name is missing or unknown.
 */
export function selectService(argv: readonly string[]): Selection | { readonly error: string } {
  const name = argv[2];
  if (name === undefined || name === "") return { error: `todo: no service given\n${usage()}` };
  if (!(SERVICE_NAMES as readonly string[]).includes(name)) {
    return { error: `todo: unknown service ${JSON.stringify(name)}\n${usage()}` };
  }
  return { service: name as ServiceName, argv: [...argv.slice(0, 2), ...argv.slice(3)] };
}

if (import.meta.main) {
  if (process.argv[2] === "--help" || process.argv[2] === "-h") {
    console.log(usage());
    process.exit(0);
  }
  const selected = selectService(process.argv);
  if ("error" in selected) {
    console.error(selected.error);
    process.exit(2);
  }
  process.argv.splice(0, process.argv.length, ...selected.argv);
  // A computed URL, so the bundler leaves the import to run time (each main is its own entry point).
  await import(new URL(`./services/${selected.service}/src/main.js`, import.meta.url).href);
}
