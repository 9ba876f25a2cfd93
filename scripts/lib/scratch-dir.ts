/**
 * A scratch directory for tests that hand files to command-line tools (promtool, kubeconform,
 * amtool, …) and read what they answer.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { capture } from "./proc.ts";

/** A fresh directory under the temp directory; `remove()` deletes it (call it in `afterAll`). */
export interface ScratchDir {
  readonly path: string;
  /** Writes `text` to `<path>/<name>` and returns that path. */
  file(name: string, text: string): string;
  /** Runs `cmd` in the directory, stdin closed: its exit code, and stdout then stderr as one text. */
  run(cmd: readonly string[]): Promise<{ code: number; output: string }>;
  remove(): void;
}

/** Makes `<tmp>/<prefix>XXXXXX`. */
export function scratchDir(prefix: string): ScratchDir {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return {
    path,
    file(name, text) {
      const file = join(path, name);
      writeFileSync(file, text);
      return file;
    },
    async run(cmd) {
      const result = await capture(cmd, { cwd: path });
      return { code: result.code, output: `${result.stdout}${result.stderr}` };
    },
    remove: () => rmSync(path, { recursive: true, force: true }),
  };
}
