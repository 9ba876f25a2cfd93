/**
 * `bun run images <command>`: Todo's OCI images (scripts/lib/images.ts, docs/images.md).
 *
 * - `build [--arch amd64,arm64]`: builds `todo` and `todo-edge` (or finds them in the cache) and
 *   prints, per image, `<NAME>_LAYOUT=<dir>` (an OCI layout: references `index`, `amd64`, `arm64`) and
 *   `<NAME>_INDEX=<digest>`.
 * - `size [--arch …]`: the same build, then a Markdown table of each image's size per architecture.
 * - `push <registry-prefix> <tag> [--arch …] [--insecure]`: the same build, then each image's
 *   multi-arch index to `<prefix>/todo:<tag>` and `<prefix>/todo-edge:<tag>` (images-push.ts);
 *   prints `TODO_DIGEST=` and `TODO_EDGE_DIGEST=`. `--insecure`: a plain-HTTP registry.
 *
 * Progress goes to stderr, results to stdout. Needs root (CI runs as root) and Debian's buildah,
 * umoci, mmdebstrap and skopeo.
 */

import { type BuiltImage, ensureImages } from "./lib/images.ts";
import { ARCHES, type Arch } from "./lib/images-bun.ts";
import { pushImages, pushTarget } from "./lib/images-push.ts";

const USAGE =
  "usage: bun scripts/images.ts build|size [--arch amd64,arm64]\n" +
  "       bun scripts/images.ts push <registry-prefix> <tag> [--arch amd64,arm64] [--insecure]";

function parseArches(args: string[]): Arch[] {
  const i = args.indexOf("--arch");
  if (i < 0) return [...ARCHES];
  const value = args[i + 1] ?? "";
  const arches = value.split(",").filter(Boolean);
  const bad = arches.filter((a) => !(ARCHES as readonly string[]).includes(a));
  if (arches.length === 0 || bad.length > 0) {
    console.error(
      `--arch: expected a comma-separated list of ${ARCHES.join(", ")}, got "${value}"\n${USAGE}`,
    );
    process.exit(2);
  }
  return arches as Arch[];
}

const mb = (bytes: number) => (bytes / 1e6).toFixed(1);

/** The size table docs/images.md shows. */
function sizeTable(images: BuiltImage[]): string {
  const rows = ["| image | arch | unpacked (MB) | compressed, as pushed (MB) |", "|---|---|---|---|"];
  for (const image of images) {
    for (const [arch, built] of Object.entries(image.arches)) {
      rows.push(
        `| ${image.name} | ${arch} | ${mb(built.uncompressedBytes)} | ${mb(built.compressedBytes)} |`,
      );
    }
  }
  return rows.join("\n");
}

const [command, ...rest] = process.argv.slice(2);
if (command !== "build" && command !== "size" && command !== "push") {
  console.error(USAGE);
  process.exit(2);
}
const [prefix, tag] = command === "push" ? rest : [];
if (command === "push" && (!prefix || !tag || prefix.startsWith("-") || tag.startsWith("-"))) {
  console.error(`push: give the registry prefix and the tag\n${USAGE}`);
  process.exit(2);
}
if (prefix && tag) {
  try {
    pushTarget(prefix, "todo", tag);
  } catch (err) {
    console.error(`push: ${(err as Error).message}\n${USAGE}`);
    process.exit(2);
  }
}
const started = performance.now();
const images = await ensureImages(parseArches(rest), (message) => console.error(message));
console.error(`images: ready in ${((performance.now() - started) / 1000).toFixed(1)} s`);
if (command === "build") {
  for (const image of images) {
    const prefix = image.name.toUpperCase().replace("-", "_");
    console.log(`${prefix}_LAYOUT=${image.layout}\n${prefix}_INDEX=${image.index}`);
  }
} else if (command === "push" && prefix && tag) {
  const digests = await pushImages(images, prefix, tag, { tlsVerify: !rest.includes("--insecure") });
  for (const [name, digest] of Object.entries(digests)) {
    console.error(`images: pushed ${prefix}/${name}:${tag}@${digest}`);
    console.log(`${name.toUpperCase().replace("-", "_")}_DIGEST=${digest}`);
  }
} else {
  console.log(sizeTable(images));
}
