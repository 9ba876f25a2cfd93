/**
 * The Helm chart (`deploy/helm/todo`) as its tests and scripts see it: the renderings that must
 * work (the default values and each target's values file), `helm template` through the cached helm
 * (kube-tools.ts), and the rendered manifests as objects.
 */
import { isAbsolute, join } from "node:path";
import type { KubeTools } from "./kube-tools.ts";
import { type Captured, capture } from "./proc.ts";

const root = join(import.meta.dir, "..", "..");
/** The chart's directory. */
export const chartDir: string = join(root, "deploy", "helm", "todo");

/** One way the chart is installed: values files (relative to the chart, or absolute), in order. */
export interface Rendering {
  readonly name: string;
  readonly valuesFiles: readonly string[];
}

/** Every supported rendering: the defaults, each target, and external Kafka + Neon on GKE. */
export const RENDERINGS: readonly Rendering[] = [
  { name: "default", valuesFiles: [] },
  { name: "minikube", valuesFiles: ["values-minikube.yaml"] },
  { name: "aks", valuesFiles: ["values-aks.yaml"] },
  { name: "gke", valuesFiles: ["values-gke.yaml"] },
  { name: "oke", valuesFiles: ["values-oke.yaml"] },
  { name: "gke-external", valuesFiles: ["values-gke.yaml", "values-external.yaml"] },
];

/** A rendered Kubernetes object (only what the tests read is typed). */
export interface K8sObject {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: {
    readonly name: string;
    readonly namespace?: string;
    readonly labels?: Record<string, string>;
    readonly annotations?: Record<string, string>;
  };
  readonly spec?: Record<string, unknown>;
  readonly data?: Record<string, string>;
  readonly scopes?: string[];
  readonly auth?: { secretStore?: string };
  readonly rules?: unknown[];
  readonly [key: string]: unknown;
}

/** The helm arguments of a rendering's values files and `--set` pairs. */
export function valuesArgs(
  valuesFiles: readonly string[],
  sets: Readonly<Record<string, string>> = {},
): string[] {
  return [
    ...valuesFiles.flatMap((f) => ["-f", isAbsolute(f) ? f : join(chartDir, f)]),
    ...Object.entries(sets).flatMap(([key, value]) => ["--set", `${key}=${value}`]),
  ];
}

/** Options of {@link helmTemplate}. */
export interface TemplateOptions {
  readonly release?: string;
  readonly namespace?: string;
  readonly sets?: Readonly<Record<string, string>>;
  /** Extra helm arguments (such as `--kube-version`). */
  readonly extra?: readonly string[];
}

/** `helm template` of the chart; never throws for a failed render (the caller reads `code`). */
export function helmTemplate(
  tools: Pick<KubeTools, "helm">,
  valuesFiles: readonly string[],
  options: TemplateOptions = {},
): Promise<Captured> {
  return capture([
    tools.helm,
    "template",
    options.release ?? "todo",
    chartDir,
    "--namespace",
    options.namespace ?? "todo",
    ...valuesArgs(valuesFiles, options.sets),
    ...(options.extra ?? []),
  ]);
}

/** Parses a multi-document manifest into its objects (empty documents dropped). */
export function parseManifests(yaml: string): K8sObject[] {
  const parsed: unknown = Bun.YAML.parse(yaml);
  const docs = Array.isArray(parsed) ? parsed : [parsed];
  return docs.filter((d): d is K8sObject => typeof d === "object" && d !== null && "kind" in d);
}

/** Renders a rendering and returns its objects; throws with helm's message when it fails. */
export async function renderChart(
  tools: Pick<KubeTools, "helm">,
  valuesFiles: readonly string[],
  options: TemplateOptions = {},
): Promise<K8sObject[]> {
  const result = await helmTemplate(tools, valuesFiles, options);
  if (result.code !== 0) {
    throw new Error(`helm template ${valuesFiles.join(" ")} failed (exit ${result.code}):\n${result.stderr}`);
  }
  return parseManifests(result.stdout);
}

/** The objects of one kind. */
export function ofKind(objects: readonly K8sObject[], kind: string): K8sObject[] {
  return objects.filter((o) => o.kind === kind);
}
