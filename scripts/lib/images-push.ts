/**
 * Pushing the built images (images.ts) to a registry: each image's multi-arch index, with every
 * architecture, as `<prefix>/<name>:<tag>`, by `skopeo copy --all` from its OCI layout. The index
 * keeps its digest on the way, so what was built, tested and pushed are one and the same, and the
 * shared base and Bun layers are uploaded once. Credentials are skopeo's own: `REGISTRY_AUTH_FILE`,
 * or `${XDG_RUNTIME_DIR}/containers/auth.json` (`skopeo login`), or `~/.docker/config.json`.
 */
import type { BuiltImage, ImageName } from "./images.ts";
import { capture } from "./proc.ts";

/** How to push. */
export interface PushOptions {
  /** `false` for a plain-HTTP registry (a local test registry); default true. */
  readonly tlsVerify?: boolean;
}

/** Where image `name` goes: `<prefix>/<name>:<tag>`. */
export function pushTarget(prefix: string, name: ImageName, tag: string): string {
  if (!/^[a-z0-9]+([._-][a-z0-9]+)*(:[0-9]+)?(\/[a-z0-9]+([._-][a-z0-9]+)*)*$/.test(prefix)) {
    throw new Error(`registry prefix "${prefix}" is not <host>[:port]/<path> in lower case`);
  }
  if (!/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/.test(tag)) throw new Error(`"${tag}" is not a valid image tag`);
  return `${prefix}/${name}:${tag}`;
}

/**
 * Pushes every image in `images` under `tag`; returns each image's pushed index digest. Throws,
 * with skopeo's message, on the first failure.
 */
export async function pushImages(
  images: readonly BuiltImage[],
  prefix: string,
  tag: string,
  options: PushOptions = {},
): Promise<Record<string, string>> {
  const digests: Record<string, string> = {};
  for (const image of images) {
    const target = pushTarget(prefix, image.name, tag);
    const pushed = await capture([
      "skopeo",
      "copy",
      "--quiet",
      "--all",
      "--preserve-digests",
      ...(options.tlsVerify === false ? ["--dest-tls-verify=false"] : []),
      `oci:${image.layout}:index`,
      `docker://${target}`,
    ]);
    if (pushed.code !== 0)
      throw new Error(`skopeo copy to ${target} failed (exit ${pushed.code}):\n${pushed.stderr}`);
    digests[image.name] = image.index;
  }
  return digests;
}
