/**
 * The Kubernetes tools the chart's tests read it with, built or fetched only from the package
 * registries and cached in `${TODO_CACHE_DIR:-~/.cache/todo}/kube-tools-<hash>/` (see
 * `cacheRoot()`), where `<hash>` covers every version pinned here, `deploy/tools/kube-apiserver`'s
 * go.mod/go.sum, the vendored CRDs in `deploy/crds/` and the CRD converter, so a changed input
 * builds again and an unchanged one never does:
 *
 * - `helm`, `kubeconform`, `kube-score`, `actionlint`: `go install <pkg>@<version>` (Go module
 *   proxy), `-trimpath -ldflags "-s -w"`, with each tool's version variable stamped where its
 *   `version` command would otherwise say "development" (helm would say "v4.3");
 * - `kube-apiserver`: built from `deploy/tools/kube-apiserver` (k8s.io/kubernetes with its staging
 *   modules replaced by their releases), stamped with its git version so kubectl can parse it;
 * - `zizmor`: `pip install zizmor==<version>` into a venv under the cache (PyPI's wheel carries the
 *   native binary, so the venv may be moved);
 * - the built-in Kubernetes JSON schemas for kubeconform, for one Kubernetes version, from the PyPI
 *   wheel `kubernetes-validate`, with their `"/api/_definitions.json` references rewritten to an
 *   absolute `file://` URL (kubeconform resolves the original, and relative ones, to nothing and
 *   reports a misleading "could not find schema");
 * - the CRD JSON schemas, converted from `deploy/crds/**.yaml` by `crd-json-schema.ts`.
 *
 * The cache itself (a build goes to a partial directory renamed into place; a component whose own
 * inputs did not change is copied from the previous directory) is `tool-cache.ts`. `bun run kube:tools` (scripts/kube-tools.ts) runs this and prints the
 * paths; `scripts/test.ts` and `.ci/run` call it before the tests, so no test's timeout covers a build.
 */
import { readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { pathToFileURL } from "node:url";
import { writeCrdJsonSchemas } from "./crd-json-schema.ts";
import {
  type Env,
  ensureToolCache,
  type GoTool,
  goInstall,
  goToolLdflags,
  type Log,
  needProgram,
  runOrThrow,
  sha,
  type ToolCacheSpec,
  toolCacheDir,
} from "./tool-cache.ts";

const root = join(import.meta.dir, "..", "..");
/** The Go module that builds kube-apiserver. */
export const kubeApiserverModuleDir: string = join(root, "deploy", "tools", "kube-apiserver");
/** The vendored CRDs: `deploy/crds/<project>/*.yaml`, each project with its LICENSE and README. */
export const crdsDir: string = join(root, "deploy", "crds");

/** The Go tools and their pinned versions. */
export const GO_TOOLS: readonly GoTool[] = [
  {
    name: "helm",
    pkg: "helm.sh/helm/v4/cmd/helm",
    version: "v4.3.2",
    versionVar: "helm.sh/helm/v4/internal/version.version",
  },
  {
    name: "kubeconform",
    pkg: "github.com/yannh/kubeconform/cmd/kubeconform",
    version: "v0.8.0",
    versionVar: "main.version",
  },
  {
    name: "kube-score",
    pkg: "github.com/zegl/kube-score/cmd/kube-score",
    version: "v1.20.0",
    versionVar: "main.version",
  },
  { name: "actionlint", pkg: "github.com/rhysd/actionlint/cmd/actionlint", version: "v1.7.12" },
];

/** zizmor (GitHub Actions security lint) from PyPI. */
export const ZIZMOR_VERSION = "1.32.0";
/** The PyPI wheel whose data files are the built-in Kubernetes JSON schemas. */
export const KUBERNETES_VALIDATE_VERSION = "1.37.0";
/**
 * The Kubernetes version manifests are validated against: the minor of the kube-apiserver built
 * here, so kubeconform and the API server judge the same API.
 */
export const SCHEMA_KUBERNETES_VERSION = "1.36.0";

/** The kube-apiserver version `deploy/tools/kube-apiserver/go.mod` pins (k8s.io/kubernetes). */
export function kubeApiserverVersion(): string {
  const mod = readFileSync(join(kubeApiserverModuleDir, "go.mod"), "utf8");
  const version = /k8s\.io\/kubernetes (v1\.\d+\.\d+)/.exec(mod)?.[1];
  if (!version)
    throw new Error(`${kubeApiserverModuleDir}/go.mod does not require k8s.io/kubernetes at a version`);
  return version;
}

function apiserverLdflags(version: string): string {
  const [major, minor] = version.slice(1).split(".");
  const pkg = "k8s.io/component-base/version";
  return `-s -w -X ${pkg}.gitVersion=${version} -X ${pkg}.gitMajor=${major} -X ${pkg}.gitMinor=${minor} -X ${pkg}.gitTreeState=clean`;
}

/** Every vendored CRD file, sorted. */
export function crdYamlFiles(): string[] {
  const files: string[] = [];
  for (const project of readdirSync(crdsDir, { withFileTypes: true })) {
    if (!project.isDirectory()) continue;
    for (const name of readdirSync(join(crdsDir, project.name))) {
      if (name.endsWith(".yaml") || name.endsWith(".yml")) files.push(join(crdsDir, project.name, name));
    }
  }
  return files.sort();
}

/** Each component's own input key; the cache directory's hash covers them all. */
function componentKeys(): Record<string, string> {
  const keys: Record<string, string> = {};
  for (const tool of GO_TOOLS) keys[tool.name] = sha(tool.pkg, tool.version, goToolLdflags(tool));
  const version = kubeApiserverVersion();
  keys["kube-apiserver"] = sha(
    readFileSync(join(kubeApiserverModuleDir, "go.mod")),
    readFileSync(join(kubeApiserverModuleDir, "go.sum")),
    apiserverLdflags(version),
  );
  keys.zizmor = sha(ZIZMOR_VERSION);
  keys["kubernetes-schemas"] = sha(KUBERNETES_VALIDATE_VERSION, SCHEMA_KUBERNETES_VERSION, "file-url-refs");
  const crds = crdYamlFiles().flatMap((f) => [relative(crdsDir, f), readFileSync(f)]);
  keys["crd-schemas"] = sha(readFileSync(join(import.meta.dir, "crd-json-schema.ts")), ...crds);
  return keys;
}

/** The cache directory for the current inputs. */
export function kubeToolsDir(env: Env = process.env): string {
  return toolCacheDir("kube-tools", componentKeys(), env);
}

/** Paths of everything `ensureKubeTools` provides. */
export interface KubeTools {
  readonly dir: string;
  readonly helm: string;
  readonly kubeconform: string;
  readonly kubeScore: string;
  readonly actionlint: string;
  readonly kubeApiserver: string;
  readonly zizmor: string;
  /** The `kubeconform -kubernetes-version` value (also the schemas' version). */
  readonly kubernetesVersion: string;
  /** kubeconform `-schema-location` templates: the built-in kinds first, then the CRDs. */
  readonly schemaLocations: readonly string[];
}

function toolsAt(dir: string): KubeTools {
  const schemas = join(dir, "schemas");
  return {
    dir,
    helm: join(dir, "helm", "helm"),
    kubeconform: join(dir, "kubeconform", "kubeconform"),
    kubeScore: join(dir, "kube-score", "kube-score"),
    actionlint: join(dir, "actionlint", "actionlint"),
    kubeApiserver: join(dir, "kube-apiserver", "kube-apiserver"),
    zizmor: join(dir, "zizmor", "bin", "zizmor"),
    kubernetesVersion: SCHEMA_KUBERNETES_VERSION,
    schemaLocations: [
      join(
        schemas,
        "kubernetes",
        "{{.NormalizedKubernetesVersion}}-local{{.StrictSuffix}}",
        "{{.ResourceKind}}{{.KindSuffix}}.json",
      ),
      join(schemas, "crds", "{{.Group}}", "{{.ResourceKind}}_{{.ResourceAPIVersion}}.json"),
    ],
  };
}

/**
 * The kubeconform arguments every caller validates with (then the files, or `-` for stdin):
 * strict (unknown fields are errors), a summary line, the offline schema locations only (its
 * default location is unreachable here, and a kind with no schema is an error, never skipped),
 * and the Kubernetes version of the schemas.
 */
export function kubeconformArgs(tools: KubeTools): string[] {
  return [
    "-strict",
    "-summary",
    "-kubernetes-version",
    tools.kubernetesVersion,
    ...tools.schemaLocations.flatMap((location) => ["-schema-location", location]),
  ];
}

async function buildKubeApiserver(out: string): Promise<void> {
  const go = needProgram("go", "kube-apiserver is built with Go 1.26+ from the Go module proxy");
  const args = [
    "build",
    "-trimpath",
    "-ldflags",
    apiserverLdflags(kubeApiserverVersion()),
    "-o",
    join(out, "kube-apiserver"),
  ];
  await runOrThrow(
    [go, ...args, "k8s.io/kubernetes/cmd/kube-apiserver"],
    { cwd: kubeApiserverModuleDir, env: { GOWORK: "off", GOFLAGS: "-mod=readonly -buildvcs=false" } },
    "go build kube-apiserver",
  );
}

const pip = (python: string) => [python, "-m", "pip", "--disable-pip-version-check", "--no-input", "-q"];

async function buildZizmor(out: string): Promise<void> {
  const python = needProgram("python3", "zizmor is installed from PyPI into a venv (python3 -m venv)");
  await runOrThrow([python, "-m", "venv", out], {}, "python3 -m venv");
  await runOrThrow(
    [...pip(join(out, "bin", "python")), "install", `zizmor==${ZIZMOR_VERSION}`],
    {},
    "pip install zizmor",
  );
}

/** Extracts one Kubernetes version's strict schemas from the kubernetes-validate wheel. */
async function buildKubernetesSchemas(out: string, finalOut: string, python: string): Promise<void> {
  const download = join(tmpdir(), `kube-tools-wheel-${process.pid}`);
  rmSync(download, { recursive: true, force: true });
  try {
    await runOrThrow(
      [
        ...pip(python),
        "download",
        "--no-deps",
        "--only-binary=:all:",
        "-d",
        download,
        `kubernetes-validate==${KUBERNETES_VALIDATE_VERSION}`,
      ],
      {},
      "pip download kubernetes-validate",
    );
    const wheel = readdirSync(download).find((name) => name.endsWith(".whl"));
    if (!wheel) throw new Error(`pip download kubernetes-validate left no wheel in ${download}`);
    const dirName = `v${SCHEMA_KUBERNETES_VERSION}-local-strict`;
    const extract = [
      "import sys, zipfile, os",
      "wheel, prefix, out = sys.argv[1:4]",
      "z = zipfile.ZipFile(wheel)",
      "names = [n for n in z.namelist() if n.startswith(prefix) and n.endswith('.json')]",
      "os.makedirs(out, exist_ok=True)",
      "[open(os.path.join(out, os.path.basename(n)), 'wb').write(z.read(n)) for n in names]",
      "print(len(names))",
    ].join("\n");
    const prefix = `kubernetes_validate/kubernetes-json-schema/${dirName}/`;
    const count = Number(
      await runOrThrow(
        [python, "-c", extract, join(download, wheel), prefix, join(out, dirName)],
        {},
        "unzip",
      ),
    );
    if (!(count > 100))
      throw new Error(`kubernetes-validate ${KUBERNETES_VALIDATE_VERSION} has no ${prefix} schemas`);
    const definitions = `"${pathToFileURL(join(finalOut, dirName, "_definitions.json")).href}`;
    for (const name of readdirSync(join(out, dirName))) {
      const file = join(out, dirName, name);
      const text = readFileSync(file, "utf8");
      if (text.includes('"/api/_definitions.json'))
        writeFileSync(file, text.replaceAll('"/api/_definitions.json', definitions));
    }
  } finally {
    rmSync(download, { recursive: true, force: true });
  }
}

/**
 * Returns the tools, building what the cache lacks first (the first time about 12 minutes on two
 * cores, mostly kube-apiserver and helm; a hit costs a few milliseconds). `log` gets progress.
 */
export async function ensureKubeTools(
  log: Log = (message) => process.stderr.write(`${message}\n`),
  env: Env = process.env,
): Promise<KubeTools> {
  const build: ToolCacheSpec["build"] = async (component, { dir, staging }) => {
    for (const tool of GO_TOOLS) await component(tool.name, (out) => goInstall(tool, out));
    await component("kube-apiserver", buildKubeApiserver);
    await component("zizmor", buildZizmor);
    const python = join(staging, "zizmor", "bin", "python");
    const kubernetesSchemas = join("schemas", "kubernetes");
    await component(
      "kubernetes-schemas",
      (out) => buildKubernetesSchemas(out, join(dir, kubernetesSchemas), python),
      kubernetesSchemas,
    );
    const crdSchemas = async (out: string) => {
      const schemas = await writeCrdJsonSchemas(crdYamlFiles(), out);
      log(`kube-tools: ${schemas.length} CRD schemas (${new Set(schemas.map((s) => s.kind)).size} kinds)`);
    };
    await component("crd-schemas", crdSchemas, join("schemas", "crds"));
  };
  return toolsAt(await ensureToolCache({ prefix: "kube-tools", keys: componentKeys(), build }, log, env));
}
