/**
 * Local infrastructure for development and tests (PostgreSQL now; more components later).
 *
 *   bun scripts/infra.ts up [component…]               start (creating on first use); print KEY=VALUE lines
 *   bun scripts/infra.ts down [--purge] [component…]   stop; --purge also deletes the data
 *   bun scripts/infra.ts status [component…]           say what runs; exit 0 only if all of it does
 *
 * `up` prints only `KEY=VALUE` lines on stdout (e.g.
 * `DATABASE_URL=postgres://todo:todo@127.0.0.1:54329/todo`) and keeps the same lines in
 * `.infra/env`; progress goes to stderr. Every verb is idempotent. It never reads stdin.
 * Components and their settings are described in `scripts/lib/` (see `components.ts`).
 */
import { components, createContext, envFilePath, selectComponents } from "./lib/components.ts";
import { formatEnvLines, updateEnvFile } from "./lib/env-file.ts";

const USAGE = `usage: bun scripts/infra.ts <up|down|status> [--purge] [component...]
components: ${components.map((c) => c.name).join(", ")}`;

async function main(argv: readonly string[]): Promise<number> {
  const [verb, ...rest] = argv;
  const purge = rest.includes("--purge");
  const unknownFlag = rest.find((arg) => arg.startsWith("-") && arg !== "--purge");
  if (unknownFlag || (purge && verb !== "down")) {
    console.error(`unknown option ${unknownFlag ?? "--purge"}\n${USAGE}`);
    return 2;
  }
  const names = rest.filter((arg) => !arg.startsWith("-"));
  const ctx = createContext();

  switch (verb) {
    case "up": {
      const vars: Record<string, string> = {};
      for (const component of selectComponents(names)) {
        const componentVars = await component.up(ctx);
        Object.assign(vars, componentVars);
        updateEnvFile(envFilePath, componentVars);
      }
      process.stdout.write(formatEnvLines(vars));
      return 0;
    }
    case "down": {
      for (const component of selectComponents(names).reverse()) {
        await component.down(ctx, { purge });
        updateEnvFile(envFilePath, {}, component.envKeys);
      }
      return 0;
    }
    case "status": {
      let allRunning = true;
      for (const component of selectComponents(names)) {
        const status = await component.status(ctx);
        allRunning &&= status.running;
        console.log(`${component.name}: ${status.detail}`);
      }
      return allRunning ? 0 : 3;
    }
    default:
      console.error(USAGE);
      return 2;
  }
}

try {
  process.exitCode = await main(Bun.argv.slice(2));
} catch (error) {
  console.error(`[infra] error: ${(error as Error).message}`);
  process.exitCode = 1;
}
