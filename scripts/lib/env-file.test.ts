import { afterEach, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { formatEnvLines, parseEnvLines, readEnvFile, updateEnvFile } from "./env-file.ts";

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});
function tempFile(): string {
  const dir = mkdtempSync(join(tmpdir(), "env-file-test-"));
  dirs.push(dir);
  return join(dir, "nested", "env");
}

describe("env file", () => {
  test("parses KEY=VALUE lines, keeping '=' in values and skipping other lines", () => {
    const text =
      "# comment\nDATABASE_URL=postgres://todo:todo@127.0.0.1:54329/todo?a=b\n\n[infra] progress\nX=1\n";
    expect(parseEnvLines(text)).toEqual({
      DATABASE_URL: "postgres://todo:todo@127.0.0.1:54329/todo?a=b",
      X: "1",
    });
  });

  test("formats in insertion order, one line each", () => {
    expect(formatEnvLines({ B: "2", A: "1" })).toBe("B=2\nA=1\n");
  });

  test("update sets and removes keys independently, and deletes the file when empty", () => {
    const path = tempFile();
    expect(readEnvFile(path)).toEqual({});
    updateEnvFile(path, { DATABASE_URL: "postgres://x", KAFKA_BROKERS: "127.0.0.1:9092" });
    updateEnvFile(path, { DATABASE_URL: "postgres://y" });
    expect(readFileSync(path, "utf8")).toBe("DATABASE_URL=postgres://y\nKAFKA_BROKERS=127.0.0.1:9092\n");
    updateEnvFile(path, {}, ["KAFKA_BROKERS"]);
    expect(readEnvFile(path)).toEqual({ DATABASE_URL: "postgres://y" });
    updateEnvFile(path, {}, ["DATABASE_URL"]);
    expect(existsSync(path)).toBe(false);
  });
});
