/**
 * `bun run dapr:build`: builds (or finds in the cache) daprd and the Dapr scheduler at the version
 * pinned in dapr/build/go.mod, and prints their paths (scripts/lib/dapr-binaries.ts). `start:dapr`
 * and the Dapr tests do this themselves; `.ci/run` calls it early so the build is timed on its own.
 */
import { ensureDaprBinaries } from "./lib/dapr-binaries.ts";

const binaries = await ensureDaprBinaries((message) => console.error(message));
console.log(`DAPRD=${binaries.daprd}\nDAPR_SCHEDULER=${binaries.scheduler}`);
