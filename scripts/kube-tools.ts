/**
 * `bun run kube:tools`: builds (or finds in the cache) helm, kubeconform, kube-score, actionlint,
 * kube-apiserver, zizmor and the offline kubeconform schemas (scripts/lib/kube-tools.ts), and prints
 * one `NAME=/path` line each on stdout (progress goes to stderr). The chart's tests do this
 * themselves; `scripts/test.ts` and `.ci/run` call it first so that a build is timed on its own.
 */
import { ensureKubeTools, kubeconformArgs } from "./lib/kube-tools.ts";

const tools = await ensureKubeTools((message) => console.error(message));
console.log(
  [
    `HELM=${tools.helm}`,
    `KUBECONFORM=${tools.kubeconform}`,
    `KUBE_SCORE=${tools.kubeScore}`,
    `ACTIONLINT=${tools.actionlint}`,
    `KUBE_APISERVER=${tools.kubeApiserver}`,
    `ZIZMOR=${tools.zizmor}`,
    `KUBE_TOOLS_DIR=${tools.dir}`,
    `KUBECONFORM_ARGS=${kubeconformArgs(tools).join(" ")}`,
  ].join("\n"),
);
