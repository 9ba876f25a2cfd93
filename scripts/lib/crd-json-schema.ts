/**
 * Converts CustomResourceDefinition YAML into the JSON schemas kubeconform reads for custom
 * resources, named as its CRD schema-location template expects:
 * `<dir>/{{.Group}}/{{.ResourceKind}}_{{.ResourceAPIVersion}}.json` (kind in lower case), e.g.
 * `kafka.strimzi.io/kafkatopic_v1.json`.
 *
 * It does what kubeconform's own `scripts/openapi2jsonschema.py` does, without Python, and a little
 * more faithfully to what the API server enforces:
 * - every object schema that lists `properties` gets `additionalProperties: false` (kubeconform's
 *   `-strict` only applies to the built-in schemas; for CRDs strictness has to be in the schema),
 *   the root included — except where `x-kubernetes-preserve-unknown-fields: true` says the server
 *   keeps unknown fields (the Python script wrongly closes those too);
 * - `nullable: true` becomes a `"null"` alternative in `type` (and `enum`), so a rendered `null`
 *   is judged as the server judges it;
 * - int-or-string fields (`format: int-or-string`, or `x-kubernetes-int-or-string` with no
 *   alternatives given) accept an integer or a string.
 * The walk follows the schema structure (properties, items, allOf/anyOf/oneOf, not,
 * additionalProperties), so a field that happens to be *named* `properties` is not mistaken for a
 * keyword. Every served version of every CRD is written.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/** A JSON schema node (the subset of OpenAPI v3 that CRDs use). */
type Schema = Record<string, unknown>;

const isObject = (value: unknown): value is Schema =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/** The parts of a CRD the conversion reads. */
interface Crd {
  readonly kind: "CustomResourceDefinition";
  readonly spec: {
    readonly group: string;
    readonly names: { readonly kind: string };
    readonly versions: ReadonlyArray<{
      readonly name: string;
      readonly served?: boolean;
      readonly schema?: { readonly openAPIV3Schema?: Schema };
    }>;
  };
}

function isCrd(doc: unknown): doc is Crd {
  if (!isObject(doc) || doc.kind !== "CustomResourceDefinition" || !isObject(doc.spec)) return false;
  const spec = doc.spec;
  return typeof spec.group === "string" && isObject(spec.names) && Array.isArray(spec.versions);
}

/** Converts one OpenAPI v3 schema node (and everything below it) to a strict JSON schema. */
export function toStrictJsonSchema(node: Schema): Schema {
  const out: Schema = {};
  for (const [key, value] of Object.entries(node)) {
    if (key === "properties" && isObject(value)) {
      out.properties = Object.fromEntries(
        Object.entries(value).map(([name, child]) => [
          name,
          isObject(child) ? toStrictJsonSchema(child) : child,
        ]),
      );
    } else if ((key === "items" || key === "not" || key === "additionalProperties") && isObject(value)) {
      out[key] = toStrictJsonSchema(value);
    } else if (
      (key === "items" || key === "allOf" || key === "anyOf" || key === "oneOf") &&
      Array.isArray(value)
    ) {
      out[key] = value.map((child) => (isObject(child) ? toStrictJsonSchema(child) : child));
    } else {
      out[key] = value;
    }
  }
  if (out.format === "int-or-string") {
    delete out.format;
    out.oneOf = [{ type: "string" }, { type: "integer" }];
  } else if (out["x-kubernetes-int-or-string"] === true && !out.type && !out.anyOf && !out.oneOf) {
    out.anyOf = [{ type: "integer" }, { type: "string" }];
  }
  if (out.nullable === true) {
    if (typeof out.type === "string") out.type = [out.type, "null"];
    if (Array.isArray(out.enum) && !out.enum.includes(null)) out.enum = [...out.enum, null];
  }
  const keepsUnknown = out["x-kubernetes-preserve-unknown-fields"] === true;
  if (isObject(out.properties) && !("additionalProperties" in out) && !keepsUnknown) {
    out.additionalProperties = false;
  }
  return out;
}

/** One kubeconform schema made from one served version of a CRD. */
export interface CrdJsonSchema {
  /** Path under the schema directory: `<group>/<kind>_<version>.json`, lower case. */
  readonly path: string;
  readonly group: string;
  readonly kind: string;
  readonly version: string;
  readonly schema: Schema;
}

/** The schemas of every served version of every CRD in a (multi-document) YAML text. */
export function crdJsonSchemas(yaml: string): CrdJsonSchema[] {
  const parsed: unknown = Bun.YAML.parse(yaml);
  const docs = Array.isArray(parsed) ? parsed : [parsed];
  const out: CrdJsonSchema[] = [];
  for (const doc of docs.flatMap((d) => (isObject(d) && Array.isArray(d.items) ? d.items : [d]))) {
    if (!isCrd(doc)) continue;
    const { group, names, versions } = doc.spec;
    for (const version of versions) {
      const openApi = version.schema?.openAPIV3Schema;
      if (version.served === false || !openApi) continue;
      out.push({
        path: join(group.toLowerCase(), `${names.kind.toLowerCase()}_${version.name.toLowerCase()}.json`),
        group,
        kind: names.kind,
        version: version.name,
        schema: toStrictJsonSchema(openApi),
      });
    }
  }
  return out;
}

/**
 * Writes the schemas of every CRD in `yamlFiles` under `outDir` and returns them. Throws when a
 * file holds no CRD with a schema, so a vendored file that stops parsing cannot go unnoticed.
 */
export async function writeCrdJsonSchemas(
  yamlFiles: readonly string[],
  outDir: string,
): Promise<CrdJsonSchema[]> {
  const all: CrdJsonSchema[] = [];
  for (const file of yamlFiles) {
    const schemas = crdJsonSchemas(await Bun.file(file).text());
    if (schemas.length === 0) throw new Error(`${file}: no CustomResourceDefinition with a schema in it`);
    for (const s of schemas) {
      const target = join(outDir, s.path);
      mkdirSync(join(target, ".."), { recursive: true });
      writeFileSync(target, `${JSON.stringify(s.schema, null, 2)}\n`);
    }
    all.push(...schemas);
  }
  return all;
}
