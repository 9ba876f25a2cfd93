/**
 * Keeping the embedded store's files to their owner. PGlite writes through Emscripten's NODEFS,
 * which creates every file mode 0666 whatever the umask (directories do follow it), so a fresh
 * `data/pg` had 968 world-writable files, `pg_hba.conf` among them. The data directory is therefore
 * made 0700 — nobody else can even look inside, whatever the modes below — and the tree is tightened
 * (directories 0700, files 0600) when the store opens and when it closes, so it is also right at
 * rest and for data directories written by older versions.
 */
import { chmodSync, lstatSync, mkdirSync, readdirSync } from "node:fs";
import { join } from "node:path";

/** Creates `dir` (and its parents) if needed and makes it 0700, whatever it was. */
export function ensurePrivateDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
}

/**
 * Makes every directory under `dir` (itself included) 0700 and every regular file 0600. Symbolic
 * links are neither followed nor changed. Returns how many entries it changed.
 */
export function lockDownTree(dir: string): number {
  let changed = 0;
  const visit = (path: string) => {
    const stat = lstatSync(path);
    if (stat.isSymbolicLink()) return;
    const wanted = stat.isDirectory() ? 0o700 : 0o600;
    if ((stat.mode & 0o7777) !== wanted) {
      chmodSync(path, wanted);
      changed++;
    }
    if (stat.isDirectory()) for (const name of readdirSync(path)) visit(join(path, name));
  };
  visit(dir);
  return changed;
}
