/**
 * Builds `@todo/sdk` into `dist/`: ES2022 modules and `.d.ts` that Node's own ESM resolution
 * accepts, the generated code of the repository's `gen/` compiled inside, so the package needs
 * nothing from this repository (`bun run build` here, or `bun run sdk:build` at the root).
 *
 * The sources import `@todo/gen/...` and, as protoc-gen-es wrote them (`import_extension=none`),
 * gen's files import each other without extensions — fine for Bun and bundlers, not for Node. So
 * the build stages a copy in `.build/` of exactly the files the entry points reach, with every
 * import made a relative path ending in `.js` (positions from TypeScript's own `preProcessFile`,
 * not a regular expression), and compiles that with `tsc` under `module: nodenext`, which checks
 * that the specifiers are right. An import of a package the SDK does not depend on fails the
 * build. gen/ itself is never touched.
 */
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import ts from "typescript";
import { NODE_ESM_COMPILER_OPTIONS } from "./node-esm";

const pkgDir = resolve(import.meta.dir, "..");
const repoRoot = resolve(pkgDir, "..", "..");
const genDir = join(repoRoot, "gen");
const stageDir = join(pkgDir, ".build");
const distDir = join(pkgDir, "dist");
const entries = [join(pkgDir, "src", "index.ts"), join(pkgDir, "src", "index.browser.ts")];

const pkg = JSON.parse(readFileSync(join(pkgDir, "package.json"), "utf8")) as {
  dependencies: Record<string, string>;
};
const dependencies = Object.keys(pkg.dependencies);

/** Where a source file goes in the stage: src/x.ts → .build/x.ts, gen/y.ts → .build/gen/y.ts. */
function stagedPath(source: string): string {
  if (source.startsWith(`${genDir}/`)) return join(stageDir, "gen", relative(genDir, source));
  return join(stageDir, relative(join(pkgDir, "src"), source));
}

/** The file a relative or `@todo/gen` specifier names, or undefined for a package import. */
function targetOf(from: string, specifier: string): string | undefined {
  let base: string;
  if (specifier.startsWith("@todo/gen/")) base = join(genDir, specifier.slice("@todo/gen/".length));
  else if (specifier.startsWith(".")) base = resolve(dirname(from), specifier);
  else {
    const name = specifier.startsWith("@")
      ? specifier.split("/").slice(0, 2).join("/")
      : (specifier.split("/")[0] as string);
    if (!dependencies.includes(name)) {
      throw new Error(
        `${relative(repoRoot, from)} imports ${specifier}, which is not a dependency of @todo/sdk`,
      );
    }
    return undefined;
  }
  for (const candidate of [base.replace(/\.js$/, ".ts"), `${base}.ts`, join(base, "index.ts")]) {
    if (existsSync(candidate)) return candidate;
  }
  throw new Error(`${relative(repoRoot, from)}: cannot resolve ${specifier}`);
}

/** A specifier from one staged file to another: `./x.js`, `../gen/todo/task/v1/task_pb.js`. */
function specifierBetween(fromStaged: string, toStaged: string): string {
  const path = relative(dirname(fromStaged), toStaged).replace(/\.ts$/, ".js");
  return path.startsWith(".") ? path : `./${path}`;
}

/** Copies every file the entries reach into the stage, imports rewritten; returns how many. */
function stage(): number {
  const queue = [...entries];
  const seen = new Set<string>();
  while (queue.length > 0) {
    const file = queue.pop() as string;
    if (seen.has(file)) continue;
    seen.add(file);
    const text = readFileSync(file, "utf8");
    const edits: { pos: number; end: number; text: string }[] = [];
    for (const ref of ts.preProcessFile(text, true, false).importedFiles) {
      const target = targetOf(file, ref.fileName);
      if (target === undefined) continue;
      queue.push(target);
      // `pos` is where the string literal starts (its quote); the specifier follows it.
      const pos = text[ref.pos] === '"' || text[ref.pos] === "'" ? ref.pos + 1 : ref.pos;
      const end = pos + ref.fileName.length;
      if (text.slice(pos, end) !== ref.fileName) {
        throw new Error(`${relative(repoRoot, file)}: cannot locate the import of ${ref.fileName}`);
      }
      edits.push({ pos, end, text: specifierBetween(stagedPath(file), stagedPath(target)) });
    }
    let out = text;
    for (const edit of edits.sort((a, b) => b.pos - a.pos)) {
      out = out.slice(0, edit.pos) + edit.text + out.slice(edit.end);
    }
    const dest = stagedPath(file);
    mkdirSync(dirname(dest), { recursive: true });
    writeFileSync(dest, out);
  }
  return seen.size;
}

/** Every file under `dir`, relative to it. */
function listFiles(dir: string, prefix = ""): string[] {
  return readdirSync(join(dir, prefix), { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? listFiles(dir, join(prefix, e.name)) : [join(prefix, e.name)],
  );
}

const started = performance.now();
rmSync(stageDir, { recursive: true, force: true });
rmSync(distDir, { recursive: true, force: true });
const files = stage();
writeFileSync(
  join(stageDir, "tsconfig.json"),
  JSON.stringify({
    compilerOptions: {
      ...NODE_ESM_COMPILER_OPTIONS,
      skipLibCheck: true,
      declaration: true,
      noEmitOnError: true,
      rootDir: ".",
      outDir: distDir,
    },
    include: ["**/*.ts"],
  }),
);
const tsc = Bun.spawnSync([process.execPath, require.resolve("typescript/bin/tsc"), "-p", stageDir], {
  cwd: pkgDir,
  stdout: "inherit",
  stderr: "inherit",
});
if (tsc.exitCode !== 0) {
  console.error(`@todo/sdk: tsc failed (exit ${tsc.exitCode}); the staged sources are in ${stageDir}`);
  process.exit(1);
}
rmSync(stageDir, { recursive: true, force: true });
// Apache-2.0 asks for the licence text beside the code; npm packs a root LICENSE file.
copyFileSync(join(repoRoot, "LICENSE"), join(pkgDir, "LICENSE"));
const sources = listFiles(distDir).filter((f) => f.endsWith(".ts") && !f.endsWith(".d.ts"));
if (sources.length > 0) throw new Error(`dist/ holds TypeScript sources: ${sources.join(", ")}`);
const outputs = listFiles(distDir);
console.log(
  `@todo/sdk: built ${outputs.filter((f) => f.endsWith(".js")).length} modules and ${
    outputs.filter((f) => f.endsWith(".d.ts")).length
  } declaration files from ${files} sources into ${relative(repoRoot, distDir)}/ in ${Math.round(
    performance.now() - started,
  )} ms`,
);
