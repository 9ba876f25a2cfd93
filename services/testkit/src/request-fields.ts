/**
 * Test support: every string field of every request of the API, found by walking the descriptors
 * of the generated services (`gen/todo/<svc>/v1/*_service_pb.ts`), so a field or service added to the
 * proto is covered by the input tests without anyone listing it. For each one it builds a request
 * (as proto3 JSON) whose only set field is that string, nested messages and lists created on the way.
 */
import { readdirSync } from "node:fs";
import { join } from "node:path";
import {
  type DescField,
  type DescMessage,
  type DescMethod,
  type DescService,
  getOption,
  ScalarType,
} from "@bufbuild/protobuf";
import { multiline } from "@todo/gen/todo/validation/v1/text_pb";
import { repoRoot } from "./embedded-app";

/** One string field of one request. */
export interface RequestStringField {
  readonly service: DescService;
  readonly method: DescMethod;
  /** The path the validation layer names: `task.reminders[0].id`, `update_mask.paths[0]`. */
  readonly path: string;
  /** Whether the field is marked `(todo.validation.v1.multiline)`. */
  readonly multiline: boolean;
  /** The request as proto3 JSON with this field set to `value` and nothing else. */
  json(value: string): Record<string, unknown>;
}

/** Every service of the API, imported from the generated code. */
export async function apiServices(): Promise<DescService[]> {
  const out: DescService[] = [];
  const genTodo = join(repoRoot, "gen", "todo");
  for (const pkg of readdirSync(genTodo)) {
    const dir = join(genTodo, pkg, "v1");
    for (const file of readdirSync(dir).filter((f) => f.endsWith("_service_pb.ts"))) {
      const mod: Record<string, unknown> = await import(join(dir, file));
      for (const value of Object.values(mod)) {
        if ((value as DescService | undefined)?.kind === "service") out.push(value as DescService);
      }
    }
  }
  return out;
}

type Wrap = (inner: unknown) => Record<string, unknown>;

function walk(
  schema: DescMessage,
  prefix: string,
  wrap: Wrap,
  depth: number,
  emit: (path: string, isMultiline: boolean, json: (value: string) => Record<string, unknown>) => void,
): void {
  if (depth > 6) return;
  for (const field of schema.fields) {
    const path = `${prefix}${field.name}`;
    const set = (inner: unknown) => wrap({ [field.jsonName]: inner });
    const isString = (f: DescField) =>
      (f.fieldKind === "scalar" || f.fieldKind === "list") && f.scalar === ScalarType.STRING;
    if (field.fieldKind === "scalar" && isString(field)) emit(path, getOption(field, multiline), set);
    else if (field.fieldKind === "list" && isString(field))
      emit(`${path}[0]`, getOption(field, multiline), (v) => set([v]));
    else if (field.fieldKind === "message" && field.message.typeName === "google.protobuf.FieldMask")
      // A FieldMask's JSON form is one string of comma-separated paths.
      emit(`${path}.paths[0]`, false, set);
    else if (field.fieldKind === "message")
      walk(field.message, `${path}.`, (inner) => set(inner), depth + 1, emit);
    else if (field.fieldKind === "list" && field.listKind === "message")
      walk(field.message, `${path}[0].`, (inner) => set([inner]), depth + 1, emit);
  }
}

/** Every string field of every request of `services`. */
export function requestStringFields(services: readonly DescService[]): RequestStringField[] {
  const out: RequestStringField[] = [];
  for (const service of services) {
    for (const method of service.methods) {
      walk(
        method.input,
        "",
        (inner) => inner as Record<string, unknown>,
        0,
        (path, isMultiline, json) => out.push({ service, method, path, multiline: isMultiline, json }),
      );
    }
  }
  return out;
}
