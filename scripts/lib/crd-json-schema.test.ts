import { describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { crdJsonSchemas, toStrictJsonSchema, writeCrdJsonSchemas } from "./crd-json-schema.ts";
import { crdYamlFiles } from "./kube-tools.ts";

describe("toStrictJsonSchema", () => {
  test("closes every object that lists its properties, the root included", () => {
    const out = toStrictJsonSchema({
      type: "object",
      properties: { spec: { type: "object", properties: { replicas: { type: "integer" } } } },
    });
    expect(out.additionalProperties).toBe(false);
    expect((out.properties as Record<string, Record<string, unknown>>).spec?.additionalProperties).toBe(
      false,
    );
  });

  test("leaves open what the server keeps open: preserve-unknown-fields and explicit maps", () => {
    const out = toStrictJsonSchema({
      type: "object",
      properties: {
        config: {
          type: "object",
          "x-kubernetes-preserve-unknown-fields": true,
          properties: { a: { type: "string" } },
        },
        labels: { type: "object", additionalProperties: { type: "string" } },
      },
    });
    const props = out.properties as Record<string, Record<string, unknown>>;
    expect("additionalProperties" in (props.config ?? {})).toBe(false);
    expect(props.labels?.additionalProperties).toEqual({ type: "string" });
  });

  test("walks the structure, so a field named `properties` is a field", () => {
    const out = toStrictJsonSchema({
      type: "object",
      properties: { properties: { type: "object", properties: { x: { type: "string" } } } },
    });
    const props = out.properties as Record<string, Record<string, unknown>>;
    expect(Object.keys(props)).toEqual(["properties"]);
    expect(props.properties?.additionalProperties).toBe(false);
  });

  test("nullable becomes a null alternative; int-or-string accepts both", () => {
    const out = toStrictJsonSchema({
      type: "object",
      properties: {
        note: { type: "string", nullable: true, enum: ["a"] },
        port: { "x-kubernetes-int-or-string": true },
        legacy: { format: "int-or-string" },
        given: { "x-kubernetes-int-or-string": true, anyOf: [{ type: "integer" }, { type: "string" }] },
        list: { type: "array", items: { type: "object", properties: { k: { type: "string" } } } },
      },
    });
    const props = out.properties as Record<string, Record<string, unknown>>;
    expect(props.note?.type).toEqual(["string", "null"]);
    expect(props.note?.enum).toEqual(["a", null]);
    expect(props.port?.anyOf).toEqual([{ type: "integer" }, { type: "string" }]);
    expect(props.legacy).toEqual({ oneOf: [{ type: "string" }, { type: "integer" }] });
    expect(props.given?.anyOf).toEqual([{ type: "integer" }, { type: "string" }]);
    expect((props.list?.items as Record<string, unknown> | undefined)?.additionalProperties).toBe(false);
  });
});

describe("crdJsonSchemas", () => {
  const crd = (versions: string) => `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: { name: widgets.example.com }
spec:
  group: example.com
  names: { kind: Widget, plural: widgets }
  scope: Namespaced
  versions:
${versions}`;
  const version = (name: string, served: boolean) => `    - name: ${name}
      served: ${served}
      storage: ${served}
      schema:
        openAPIV3Schema:
          type: object
          properties: { spec: { type: object, properties: { size: { type: integer } } } }
`;

  test("one schema per served version, named {{.Group}}/{{.ResourceKind}}_{{.ResourceAPIVersion}}.json", () => {
    const schemas = crdJsonSchemas(crd(version("v1", true) + version("v1alpha1", false)));
    expect(schemas.map((s) => s.path)).toEqual(["example.com/widget_v1.json"]);
    expect(schemas[0]?.schema.additionalProperties).toBe(false);
  });

  test("reads multi-document files and skips what is not a CRD", () => {
    const yaml = `apiVersion: v1\nkind: ConfigMap\nmetadata: { name: x }\n---\n${crd(version("v2", true))}`;
    expect(crdJsonSchemas(yaml).map((s) => `${s.kind} ${s.version}`)).toEqual(["Widget v2"]);
  });

  test("converts every vendored CRD: the kinds the chart uses all get a schema", async () => {
    const out = mkdtempSync(join(tmpdir(), "todo-crd-schemas-"));
    try {
      const schemas = await writeCrdJsonSchemas(crdYamlFiles(), out);
      const paths = schemas.map((s) => s.path);
      for (const expected of [
        "kafka.strimzi.io/kafka_v1.json",
        "kafka.strimzi.io/kafkanodepool_v1.json",
        "kafka.strimzi.io/kafkatopic_v1.json",
        "kafka.strimzi.io/kafkauser_v1.json",
        "postgresql.cnpg.io/cluster_v1.json",
        "cert-manager.io/certificate_v1.json",
        "cert-manager.io/issuer_v1.json",
        "cert-manager.io/clusterissuer_v1.json",
        "gateway.networking.k8s.io/gateway_v1.json",
        "gateway.networking.k8s.io/gatewayclass_v1.json",
        "gateway.networking.k8s.io/httproute_v1.json",
        "gateway.networking.k8s.io/grpcroute_v1.json",
        "gateway.networking.k8s.io/referencegrant_v1beta1.json",
        "dapr.io/component_v1alpha1.json",
        "dapr.io/configuration_v1alpha1.json",
        "dapr.io/resiliency_v1alpha1.json",
        "dapr.io/subscription_v2alpha1.json",
        "dapr.io/httpendpoint_v1alpha1.json",
      ]) {
        expect(paths).toContain(expected);
      }
      // Strimzi 1.x serves only kafka.strimzi.io/v1.
      expect(
        paths.filter((p) => p.startsWith("kafka.strimzi.io/")).every((p) => p.endsWith("_v1.json")),
      ).toBe(true);
      const topic = JSON.parse(readFileSync(join(out, "kafka.strimzi.io/kafkatopic_v1.json"), "utf8"));
      expect(topic.properties.spec.properties.partitions.type).toBe("integer");
      expect(topic.additionalProperties).toBe(false);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
});
