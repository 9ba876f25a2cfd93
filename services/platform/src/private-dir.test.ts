import { afterAll, describe, expect, test } from "bun:test";
import {
  chmodSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openDatabase } from "./db";
import { ensurePrivateDir, lockDownTree } from "./private-dir";

const root = mkdtempSync(join(tmpdir(), "todo-private-dir-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** Every entry under `dir` (itself included) with its permission bits, symlinks left out. */
function modes(dir: string): { path: string; dir: boolean; mode: number }[] {
  const out: { path: string; dir: boolean; mode: number }[] = [];
  const visit = (path: string) => {
    const stat = lstatSync(path);
    if (stat.isSymbolicLink()) return;
    out.push({ path, dir: stat.isDirectory(), mode: stat.mode & 0o7777 });
    if (stat.isDirectory()) for (const name of readdirSync(path)) visit(join(path, name));
  };
  visit(dir);
  return out;
}
const loose = (dir: string) =>
  modes(dir)
    .filter((e) => e.mode !== (e.dir ? 0o700 : 0o600))
    .map((e) => `${e.path} ${e.mode.toString(8)}`);

describe("the embedded store's files are its owner's only", () => {
  test("a fresh PGlite data directory: directories 0700, files 0600, while open and after close", async () => {
    const dataDir = join(root, "fresh", "pg");
    const db = await openDatabase({ dataDir });
    try {
      await db.sql`create table t (x int)`;
      await db.sql`insert into t values (1)`;
      expect(modes(dataDir).length).toBeGreaterThan(100);
      expect(loose(dataDir)).toEqual([]);
      expect(lstatSync(join(dataDir, "pg_hba.conf")).mode & 0o777).toBe(0o600);
    } finally {
      await db.close();
    }
    expect(loose(dataDir)).toEqual([]);
  }, 30_000);

  test("a data directory an older version left world-writable is tightened when it opens", async () => {
    const dataDir = join(root, "old", "pg");
    const first = await openDatabase({ dataDir });
    await first.sql`create table t (x int)`;
    await first.sql`insert into t values (1)`;
    await first.close();
    for (const e of modes(dataDir)) chmodSync(e.path, e.dir ? 0o777 : 0o666);
    const db = await openDatabase({ dataDir });
    try {
      expect(loose(dataDir)).toEqual([]);
      expect([...(await db.sql`select x from t`)]).toEqual([{ x: 1 }]);
    } finally {
      await db.close();
    }
  }, 30_000);
});

describe("ensurePrivateDir and lockDownTree", () => {
  test("an existing 0755 directory becomes 0700; a new one is created 0700", () => {
    const existing = join(root, "existing");
    mkdirSync(existing, { mode: 0o755 });
    chmodSync(existing, 0o755);
    ensurePrivateDir(existing);
    ensurePrivateDir(join(root, "new", "nested"));
    expect(lstatSync(existing).mode & 0o777).toBe(0o700);
    expect(lstatSync(join(root, "new", "nested")).mode & 0o777).toBe(0o700);
  });

  test("counts what it changed, leaves symbolic links and their targets alone", () => {
    const dir = join(root, "tree");
    mkdirSync(join(dir, "sub"), { recursive: true });
    writeFileSync(join(dir, "sub", "a"), "a", { mode: 0o666 });
    chmodSync(join(dir, "sub", "a"), 0o666);
    const outside = join(root, "outside");
    writeFileSync(outside, "o");
    chmodSync(outside, 0o644);
    symlinkSync(outside, join(dir, "link"));
    expect(lockDownTree(dir)).toBeGreaterThanOrEqual(2);
    expect(loose(dir)).toEqual([]);
    expect(lstatSync(outside).mode & 0o777).toBe(0o644);
    expect(lockDownTree(dir)).toBe(0);
  });
});
