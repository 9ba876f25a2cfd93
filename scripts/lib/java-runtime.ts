/**
 * Finding a Java 17+ runtime for Kafka: `JAVA_HOME` when set, else `java` on `PATH`, else a JDK
 * under /usr/lib/jvm.
 */
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { capture } from "./proc.ts";

type Env = Record<string, string | undefined>;

/** A Java runtime: its home, `java` binary and major version. */
export interface JavaRuntime {
  readonly home: string;
  readonly bin: string;
  readonly major: number;
}

/**
 * The major version in `java -version` output: `openjdk version "17.0.15"` → 17,
 * `java version "1.8.0_392"` → 8; undefined when there is none.
 */
export function parseJavaMajor(versionOutput: string): number | undefined {
  const match = /version "(\d+)(?:\.(\d+))?[^"]*"/.exec(versionOutput);
  if (!match?.[1]) return undefined;
  const first = Number(match[1]);
  return first === 1 && match[2] ? Number(match[2]) : first;
}

async function probeJava(home: string): Promise<JavaRuntime | undefined> {
  const bin = join(home, "bin", "java");
  if (!existsSync(bin)) return undefined;
  const result = await capture([bin, "-version"]);
  const major = parseJavaMajor(`${result.stderr}${result.stdout}`);
  return result.code === 0 && major !== undefined ? { home, bin, major } : undefined;
}

/**
 * Finds Java 17+: `JAVA_HOME` when set (it must be 17+), else the `java` on PATH, else the lowest
 * 17+ JDK under /usr/lib/jvm.
 */
export async function findJava(env: Env = process.env): Promise<JavaRuntime> {
  const explicit = env.JAVA_HOME?.trim();
  if (explicit) {
    const java = await probeJava(explicit);
    if (!java || java.major < 17) {
      throw new Error(`JAVA_HOME=${explicit} is not a Java 17+ runtime (Kafka 4 needs 17+)`);
    }
    return java;
  }
  const onPath = Bun.which("java");
  if (onPath) {
    const real = await capture(["readlink", "-f", onPath]);
    const bin = real.code === 0 && real.stdout.trim() ? real.stdout.trim() : onPath;
    const java = await probeJava(join(bin, "..", ".."));
    if (java && java.major >= 17) return java;
  }
  const jvmRoot = "/usr/lib/jvm";
  const found: JavaRuntime[] = [];
  if (existsSync(jvmRoot)) {
    for (const name of readdirSync(jvmRoot)) {
      const java = await probeJava(join(jvmRoot, name));
      if (java && java.major >= 17) found.push(java);
    }
  }
  found.sort((a, b) => a.major - b.major);
  if (found[0]) return found[0];
  throw new Error(
    `Kafka 4 needs Java 17 or newer and none was found (JAVA_HOME, PATH, /usr/lib/jvm). ` +
      "Install one (Debian/Ubuntu: `apt-get install openjdk-17-jre-headless`) or set JAVA_HOME.",
  );
}
