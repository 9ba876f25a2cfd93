/**
 * The observability tools and servers the tests and developers run, fetched or built only from the
 * package registries and cached in `${TODO_CACHE_DIR:-~/.cache/todo}/obs-tools-<hash>/`
 * (`tool-cache.ts`: the hash covers every input below, a changed one builds again, an unchanged
 * component is copied from the previous directory):
 *
 * - `prometheus` and `promtool` 2.42: Debian's `prometheus` package, `apt-get download` and
 *   `dpkg-deb -x` into the cache (nothing is installed, no daemon is started), with the `libjs-*`
 *   and font packages its classic web UI links to, so the UI works for a person or a screenshot.
 *   Chosen over `go install github.com/prometheus/prometheus/cmd/...@v0.316.0` (Prometheus 3):
 *   seconds instead of ~8 minutes, and a module build has no web UI at all (its React assets are
 *   not in the module). 2.42 has what the tests need: `promtool check`/`test rules`, the remote
 *   write receiver, the HTTP API; not native histograms, the OTLP receiver or UTF-8 names.
 * - `alertmanager` and `amtool` v0.31.1: `go install` (~1 min). Debian's 0.25 has no
 *   `webhook_url_file` for Discord (secrets mounted as files); v0.32+ embed a UI build that is not
 *   in the module, so `go install` of them fails: v0.31.1 is the newest that builds.
 * - `jaeger` (the v2 backend, an OpenTelemetry Collector distribution with an in-memory store and
 *   the query API): built from `deploy/tools/jaeger` (Jaeger's go.mod has a replace directive, so
 *   `go install @version` is refused), ~3.5 minutes after the collector (whose dependencies it
 *   shares; ~6 alone).
 * - `otelcol` (`otelcol-todo`): the OpenTelemetry Collector Builder, `go install`ed at the core
 *   release, builds `observability/otel-collector/builder.yaml` (~2.5 minutes).
 *
 * `bun run obs:tools` (scripts/observability-tools.ts) runs this and prints the paths;
 * `scripts/test.ts` and `.ci/run` call it before the tests, so no test's timeout covers a build.
 * `observability-servers.ts` starts Prometheus, Jaeger and Alertmanager from these binaries.
 */
import { readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { capture } from "./proc.ts";
import {
  type Env,
  ensureToolCache,
  type GoTool,
  goBuildInModule,
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
/** The Go module that builds Jaeger. */
export const jaegerModuleDir: string = join(root, "deploy", "tools", "jaeger");
/** The OpenTelemetry Collector Builder manifest of the collector Todo deploys. */
export const collectorManifest: string = join(root, "observability", "otel-collector", "builder.yaml");

/** The upstream Prometheus version Debian's `prometheus` package must have (checked after download). */
export const PROMETHEUS_VERSION = "2.42.0";
/**
 * The Debian packages extracted for Prometheus: the package, and what its classic web UI links to
 * under /usr/share/javascript and /usr/share/fonts (relative symlinks, so one extracted tree works).
 */
export const PROMETHEUS_DEBIAN_PACKAGES: readonly string[] = [
  "prometheus",
  "fonts-glyphicons-halflings",
  "libjs-bootstrap4",
  "libjs-d3",
  "libjs-eonasdan-bootstrap-datetimepicker",
  "libjs-jquery",
  "libjs-jquery-hotkeys",
  "libjs-moment",
  "libjs-moment-timezone",
  "libjs-mustache",
  "libjs-popper.js",
  "libjs-rickshaw",
];

/**
 * Extracted paths nothing here reads, deleted: moment-timezone's raw tz data (~210 MB of JSON; the
 * UI loads `moment-timezone-with-data.min.js`) and the packages' docs.
 */
const PROMETHEUS_PRUNED: readonly string[] = ["usr/share/javascript/moment-timezone/data", "usr/share/doc"];

/** Alertmanager's release (both binaries come from its module). */
export const ALERTMANAGER_VERSION = "v0.31.1";
const alertmanagerTools: readonly GoTool[] = ["alertmanager", "amtool"].map((name) => ({
  name,
  pkg: `github.com/prometheus/alertmanager/cmd/${name}`,
  version: ALERTMANAGER_VERSION,
  versionVar: "github.com/prometheus/common/version.Version",
  versionValue: ALERTMANAGER_VERSION.slice(1),
}));

/** The OpenTelemetry Collector Builder, at the collector core release builder.yaml uses. */
export const OTELCOL_BUILDER: GoTool = {
  name: "builder",
  pkg: "go.opentelemetry.io/collector/cmd/builder",
  version: "v0.165.0",
};
/**
 * `-e` reaches the builder's `go mod tidy`: k8sattributesprocessor's tests import
 * `pkg/semconvtest`, which the Go module proxy does not serve; nothing the binary links needs it.
 */
const OTELCOL_GOFLAGS = "-buildvcs=false -e";

/** builder.yaml's `dist` section. */
export interface CollectorDist {
  readonly name: string;
  readonly version: string;
  readonly module: string;
}

/** The parsed builder manifest. */
export function collectorBuildManifest(): { dist: CollectorDist } & Record<string, unknown> {
  const parsed = Bun.YAML.parse(readFileSync(collectorManifest, "utf8")) as { dist?: CollectorDist };
  if (!parsed?.dist?.name || !parsed.dist.version)
    throw new Error(`${collectorManifest} has no dist.name and dist.version`);
  return parsed as { dist: CollectorDist } & Record<string, unknown>;
}

/** The Jaeger module version `deploy/tools/jaeger/go.mod` requires. */
export function jaegerVersion(): string {
  const mod = readFileSync(join(jaegerModuleDir, "go.mod"), "utf8");
  const version = /github\.com\/jaegertracing\/jaeger (v\d+\.\d+\.\d+)/.exec(mod)?.[1];
  if (!version) throw new Error(`${jaegerModuleDir}/go.mod does not require github.com/jaegertracing/jaeger`);
  return version;
}

const jaegerLdflags = (version: string) =>
  `-s -w -X github.com/jaegertracing/jaeger/internal/version.latestVersion=${version}`;

/** Each component's own input key; the cache directory's hash covers them all. */
function componentKeys(): Record<string, string> {
  return {
    prometheus: sha(
      "debian",
      PROMETHEUS_VERSION,
      ...PROMETHEUS_DEBIAN_PACKAGES,
      "pruned",
      ...PROMETHEUS_PRUNED,
    ),
    alertmanager: sha(...alertmanagerTools.flatMap((t) => [t.pkg, t.version, goToolLdflags(t)])),
    jaeger: sha(
      readFileSync(join(jaegerModuleDir, "go.mod")),
      readFileSync(join(jaegerModuleDir, "go.sum")),
      jaegerLdflags(jaegerVersion()),
    ),
    otelcol: sha(
      OTELCOL_BUILDER.pkg,
      OTELCOL_BUILDER.version,
      OTELCOL_GOFLAGS,
      readFileSync(collectorManifest),
    ),
  };
}

/** The cache directory for the current inputs. */
export function observabilityToolsDir(env: Env = process.env): string {
  return toolCacheDir("obs-tools", componentKeys(), env);
}

/** Paths of everything `ensureObservabilityTools` provides. */
export interface ObservabilityTools {
  readonly dir: string;
  readonly prometheus: string;
  readonly promtool: string;
  /** `--web.local-assets`: the classic UI's templates and static files. */
  readonly prometheusWebAssets: string;
  /** `--web.console.templates` and `--web.console.libraries` (Debian ships them empty). */
  readonly prometheusConsoles: string;
  readonly prometheusConsoleLibraries: string;
  readonly alertmanager: string;
  readonly amtool: string;
  readonly jaeger: string;
  /** The collector built from builder.yaml. */
  readonly otelcol: string;
  /** The OpenTelemetry Collector Builder itself. */
  readonly otelcolBuilder: string;
}

function toolsAt(dir: string): ObservabilityTools {
  const debian = join(dir, "prometheus", "root");
  return {
    dir,
    prometheus: join(debian, "usr", "bin", "prometheus"),
    promtool: join(debian, "usr", "bin", "promtool"),
    prometheusWebAssets: join(debian, "usr", "share", "prometheus", "web"),
    prometheusConsoles: join(debian, "etc", "prometheus", "consoles"),
    prometheusConsoleLibraries: join(debian, "etc", "prometheus", "console_libraries"),
    alertmanager: join(dir, "alertmanager", "alertmanager"),
    amtool: join(dir, "alertmanager", "amtool"),
    jaeger: join(dir, "jaeger", "jaeger"),
    otelcol: join(dir, "otelcol", collectorBuildManifest().dist.name),
    otelcolBuilder: join(dir, "otelcol", "builder", "builder"),
  };
}

/**
 * `apt-get download` of `packages` into `into`. When that fails, runs `apt-get update` once and
 * tries again: a fresh machine may have no package lists yet, and an old list names a revision the
 * archive no longer has (after a security update).
 */
async function aptDownload(packages: readonly string[], into: string): Promise<void> {
  const apt = needProgram("apt-get", "Prometheus comes from Debian's prometheus package");
  const download = () => capture([apt, "download", ...packages], { cwd: into });
  let result = await download();
  if (result.code !== 0) {
    await runOrThrow(
      [apt, "update", "-qq"],
      { env: { DEBIAN_FRONTEND: "noninteractive" } },
      "apt-get update",
    );
    result = await download();
  }
  if (result.code !== 0)
    throw new Error(`apt-get download ${packages.join(" ")} failed (exit ${result.code}):\n${result.stderr}`);
}

async function fetchPrometheus(out: string): Promise<void> {
  const dpkgDeb = needProgram("dpkg-deb", "the Debian packages are extracted with dpkg-deb -x");
  const download = await mkdtemp(join(tmpdir(), "obs-tools-debs-"));
  try {
    await aptDownload(PROMETHEUS_DEBIAN_PACKAGES, download);
    const debs = readdirSync(download).filter((name) => name.endsWith(".deb"));
    if (debs.length !== PROMETHEUS_DEBIAN_PACKAGES.length)
      throw new Error(
        `apt-get download left ${debs.length} packages, not ${PROMETHEUS_DEBIAN_PACKAGES.length}`,
      );
    const versions: string[] = [];
    for (const deb of debs.sort()) {
      const file = join(download, deb);
      await runOrThrow([dpkgDeb, "-x", file, join(out, "root")], {}, `dpkg-deb -x ${deb}`);
      const fields = await runOrThrow([dpkgDeb, "-f", file, "Package", "Version"], {}, `dpkg-deb -f ${deb}`);
      versions.push(fields.replace(/^Package: (.*)\nVersion: (.*)\n?$/, "$1 $2\n"));
    }
    writeFileSync(join(out, "debian-packages.txt"), versions.join(""));
    for (const path of PROMETHEUS_PRUNED) rmSync(join(out, "root", path), { recursive: true, force: true });
  } finally {
    rmSync(download, { recursive: true, force: true });
  }
  const version = await runOrThrow(
    [join(out, "root", "usr", "bin", "prometheus"), "--version"],
    {},
    "prometheus",
  );
  if (!version.startsWith(`prometheus, version ${PROMETHEUS_VERSION}+`))
    throw new Error(
      `Debian's prometheus is not ${PROMETHEUS_VERSION} (${version.split("\n")[0]}): update PROMETHEUS_VERSION`,
    );
}

async function buildAlertmanager(out: string): Promise<void> {
  for (const tool of alertmanagerTools) await goInstall(tool, out);
}

async function buildJaeger(out: string): Promise<void> {
  await goBuildInModule({
    name: "jaeger",
    moduleDir: jaegerModuleDir,
    pkg: "github.com/jaegertracing/jaeger/cmd/jaeger",
    out: join(out, "jaeger"),
    ldflags: jaegerLdflags(jaegerVersion()),
  });
}

/** Installs the builder, then builds builder.yaml with its sources in `out/src` (kept: go.mod, go.sum). */
async function buildCollector(out: string): Promise<void> {
  const builderDir = join(out, "builder");
  await goInstall(OTELCOL_BUILDER, builderDir);
  const manifest = collectorBuildManifest();
  const src = join(out, "src");
  const config = join(out, "builder.json");
  // JSON is YAML: the same manifest with the output path pointed into the cache.
  writeFileSync(
    config,
    JSON.stringify({ ...manifest, dist: { ...manifest.dist, output_path: src } }, null, 2),
  );
  await runOrThrow(
    [join(builderDir, "builder"), `--config=${config}`],
    { cwd: out, env: { GOWORK: "off", GOFLAGS: OTELCOL_GOFLAGS } },
    "the OpenTelemetry Collector Builder",
  );
  renameSync(join(src, manifest.dist.name), join(out, manifest.dist.name));
}

/**
 * Returns the tools, fetching or building what the cache lacks first (the first time about
 * 7 minutes on two cores with an empty Go build cache, mostly Jaeger and the collector, plus the
 * module downloads on a fresh machine; a hit costs a few milliseconds). `log` gets progress.
 */
export async function ensureObservabilityTools(
  log: Log = (message) => process.stderr.write(`${message}\n`),
  env: Env = process.env,
): Promise<ObservabilityTools> {
  const build: ToolCacheSpec["build"] = async (component) => {
    await component("prometheus", fetchPrometheus);
    await component("alertmanager", buildAlertmanager);
    await component("otelcol", buildCollector);
    await component("jaeger", buildJaeger);
  };
  const spec = {
    prefix: "obs-tools",
    keys: componentKeys(),
    build,
    firstBuildHint: "the first time ~7 min",
  };
  return toolsAt(await ensureToolCache(spec, log, env));
}
