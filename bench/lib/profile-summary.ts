/**
 * Where a process's CPU went, from a V8-format CPU profile (`bun --cpu-prof`, a `.cpuprofile`): each
 * sample is charged to the deepest frame of this repository's own code on its stack — so time spent
 * inside a library or the runtime on behalf of, say, the auth interceptor counts as the
 * interceptor's — and samples with none of our code on the stack (a socket callback of postgres.js,
 * HTTP/2 framing) to the package or runtime module of their deepest frame that has a source. The
 * result is a table a reader can act on: what each of our files and each library costs.
 */
import { readFileSync } from "node:fs";

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string };
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
}

/** One line of the summary: who is charged, and its share of the samples. */
export interface ProfileShare {
  readonly owner: string;
  readonly share: number;
  readonly samples: number;
}

/** The owner of one frame's source: `services/task/src/store.ts`, `postgres`, `node:http2`, or undefined. */
function ownerOf(url: string, root: string): { owner: string; ours: boolean } | undefined {
  if (url === "") return undefined;
  const path = url.replace(/^file:\/\//, "");
  const pkg = /node_modules\/(?:\.bun\/[^/]+\/node_modules\/)?((?:@[^/]+\/)?[^/]+)/.exec(path)?.[1];
  if (pkg) return { owner: pkg, ours: false };
  if (path.startsWith(root)) return { owner: path.slice(root.length + 1), ours: true };
  // The runtime's own modules (`node:net`, `internal:streams/readable`).
  return { owner: path.split(":")[0] === "internal" ? "runtime (internal)" : path, ours: false };
}

/** Summarises the `.cpuprofile` at `file`, charging samples as the module TSDoc says; `root` is the repository. */
export function summariseProfile(file: string, root: string): ProfileShare[] {
  const profile = JSON.parse(readFileSync(file, "utf8")) as CpuProfile;
  const parent = new Map<number, number>();
  const byId = new Map<number, ProfileNode>();
  for (const node of profile.nodes) {
    byId.set(node.id, node);
    for (const child of node.children ?? []) parent.set(child, node.id);
  }
  const chargedTo = new Map<number, string>();
  const charge = (leaf: number): string => {
    const known = chargedTo.get(leaf);
    if (known) return known;
    let deepestSourced: string | undefined;
    let owner: string | undefined;
    for (let id: number | undefined = leaf; id !== undefined; id = parent.get(id)) {
      const frame = byId.get(id)?.callFrame;
      const o = frame ? ownerOf(frame.url, root) : undefined;
      if (!o) continue;
      deepestSourced ??= o.owner;
      if (o.ours) {
        owner = o.owner;
        break;
      }
    }
    const name = byId.get(leaf)?.callFrame.functionName;
    const result =
      owner ?? deepestSourced ?? (name === "(garbage collector)" ? "garbage collector" : "runtime (native)");
    chargedTo.set(leaf, result);
    return result;
  };
  const counts = new Map<string, number>();
  let total = 0;
  profile.samples.forEach((leaf) => {
    const node = byId.get(leaf);
    if (node?.callFrame.functionName === "(idle)" || node?.callFrame.functionName === "(program)") return;
    // Each sample counts once: the time to the next one also holds the gaps when the process was
    // idle or off the CPU (one sample of a poll on a busy machine can span most of a second).
    const owner = charge(leaf);
    counts.set(owner, (counts.get(owner) ?? 0) + 1);
    total++;
  });
  return [...counts]
    .map(([owner, n]) => ({ owner, samples: n, share: total > 0 ? n / total : 0 }))
    .sort((a, b) => b.samples - a.samples);
}

/** The summary as a markdown table of its `top` owners (the rest summed in one line). */
export function profileMarkdown(shares: readonly ProfileShare[], top = 15): string {
  const shown = shares.slice(0, top);
  const rest = shares.slice(top).reduce((n, s) => n + s.share, 0);
  return [
    "| charged to | share of the server's CPU |",
    "|---|---:|",
    ...shown.map(
      (s) =>
        `| ${s.owner.startsWith("services/") ? `\`${s.owner}\`` : s.owner} | ${(100 * s.share).toFixed(1)} % |`,
    ),
    ...(rest > 0 ? [`| everything else | ${(100 * rest).toFixed(1)} % |`] : []),
  ].join("\n");
}
