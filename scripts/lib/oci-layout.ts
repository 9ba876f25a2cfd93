/**
 * Reading an OCI image layout (the `oci:` directories the image build writes, image-spec
 * `image-layout.md`): references in `index.json`, JSON blobs, an image's config, and the size of its
 * layers packed and unpacked. Plain file reads: no tool has to be installed to inspect a build.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";

/** A content descriptor (image-spec `descriptor.md`). */
export interface Descriptor {
  readonly mediaType?: string;
  readonly digest: string;
  readonly size: number;
  readonly annotations?: Readonly<Record<string, string>>;
}

/** The parts of an OCI image config the image tools read. */
export interface OciImageConfig {
  readonly architecture: string;
  readonly os: string;
  readonly config: {
    readonly User?: string;
    readonly Env?: string[];
    readonly Entrypoint?: string[];
    readonly Cmd?: string[];
    readonly WorkingDir?: string;
    readonly ExposedPorts?: Record<string, object>;
    readonly Labels?: Record<string, string>;
    readonly Healthcheck?: unknown;
  };
}

function blobPath(layout: string, digest: string): string {
  const [algorithm, hex] = digest.split(":");
  if (!algorithm || !hex) throw new Error(`not a digest: ${digest}`);
  return join(layout, "blobs", algorithm, hex);
}

/** Reads a JSON blob (a manifest, an index, a config) of `layout`. */
export function readBlob<T>(layout: string, digest: string): T {
  return JSON.parse(readFileSync(blobPath(layout, digest), "utf8")) as T;
}

/** The descriptor that `index.json` names `ref` (`org.opencontainers.image.ref.name`); throws when absent. */
export function layoutRef(layout: string, ref: string): Descriptor {
  const index = JSON.parse(readFileSync(join(layout, "index.json"), "utf8")) as { manifests: Descriptor[] };
  const found = index.manifests.find((m) => m.annotations?.["org.opencontainers.image.ref.name"] === ref);
  if (!found) throw new Error(`${layout} has no reference ${ref}`);
  return found;
}

/** The config of the image manifest at `ref`. */
export function imageConfig(layout: string, ref: string): OciImageConfig {
  const manifest = readBlob<{ config: Descriptor }>(layout, layoutRef(layout, ref).digest);
  return readBlob<OciImageConfig>(layout, manifest.config.digest);
}

/** The layers of the image manifest at `ref`, bottom first. */
export function imageLayers(layout: string, ref: string): Descriptor[] {
  return readBlob<{ layers: Descriptor[] }>(layout, layoutRef(layout, ref).digest).layers;
}

/** The image at `ref`: its manifest digest and its layers' bytes as stored (gzip) and unpacked (tar). */
export function imageSize(
  layout: string,
  ref: string,
): { digest: string; compressed: number; uncompressed: number } {
  let compressed = 0;
  let uncompressed = 0;
  for (const layer of imageLayers(layout, ref)) {
    compressed += layer.size;
    uncompressed += Bun.gunzipSync(readFileSync(blobPath(layout, layer.digest))).length;
  }
  return { digest: layoutRef(layout, ref).digest, compressed, uncompressed };
}
