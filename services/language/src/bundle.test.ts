/**
 * The browser bundle stays small enough to lazy-load, without chrono-node's other languages. (Parse
 * time is measured by `bun run bench:assistant`, whose interpreter parses every message with this
 * package: a benchmark, not a timed unit test.)
 */
import { describe, expect, test } from "bun:test";
import { join } from "node:path";

describe("bundle", () => {
  test("the browser bundle is under 60 KB gzipped", async () => {
    const build = await Bun.build({
      entrypoints: [join(import.meta.dir, "index.ts")],
      target: "browser",
      minify: true,
    });
    expect(build.success).toBe(true);
    const output = build.outputs[0];
    if (!output) throw new Error("no bundle output");
    const bytes = new Uint8Array(await output.arrayBuffer());
    const gzipped = Bun.gzipSync(bytes).length;
    console.log(`@todo/language bundle: ${bytes.length} bytes minified, ${gzipped} bytes gzipped`);
    expect(gzipped).toBeLessThan(60_000);
    // chrono-node's other languages must not come along
    const code = new TextDecoder().decode(bytes);
    expect(code).not.toContain("janvier");
    expect(code).not.toContain("Montag");
  });
});
