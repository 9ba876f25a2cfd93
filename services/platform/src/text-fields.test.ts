/**
 * The contract's text rule on its own: which characters a single-line and a multi-line field refuse,
 * and the paths of violations in nested messages, lists and maps.
 */
import { describe, expect, test } from "bun:test";
import { create } from "@bufbuild/protobuf";
import { StructSchema } from "@bufbuild/protobuf/wkt";
import { CreateTaskRequestSchema } from "@todo/gen/todo/task/v1/task_service_pb";
import { textFieldViolations, textProblem } from "./text-fields";

describe("textProblem", () => {
  test("every C0 control, DEL and C1 control is refused in a single-line field", () => {
    const refused: number[] = [];
    for (let c = 0; c <= 0xa0; c++) if (textProblem(`a${String.fromCharCode(c)}b`, false)) refused.push(c);
    const expected = [...Array(0x20).keys(), ...Array.from({ length: 0x21 }, (_, i) => 0x7f + i)];
    expect(refused).toEqual(expected);
  });

  test("a multi-line field also takes tab, line feed and carriage return, nothing else", () => {
    expect(textProblem("one\ttwo\r\nthree\n", true)).toBeUndefined();
    expect(textProblem("one\ttwo", false)).toContain("U+0009");
    expect(textProblem("a\u000bb", true)).toBe(
      "must not contain the control character U+000B (at character 2); only tab, line feed and carriage return are allowed",
    );
  });

  test("the position counts characters, not UTF-16 units; unpaired surrogates are not UTF-8", () => {
    expect(textProblem("😀😀\u0000", false)).toContain("(at character 3)");
    expect(textProblem("ok 😀 é ß", false)).toBeUndefined();
    expect(textProblem("a\ud800b", true)).toContain("is not valid UTF-8 text");
    expect(textProblem("a\udc00", false)).toContain("is not valid UTF-8 text");
  });
});

describe("textFieldViolations", () => {
  test("names nested and repeated fields by their proto paths", () => {
    const req = create(CreateTaskRequestSchema, {
      requestId: "r\u0000",
      task: {
        title: "t\nt",
        description: "fine\nhere",
        tags: ["ok", "b\u0007d"],
        reminders: [{ id: "" }, { id: "\u0001" }],
      },
    });
    expect(textFieldViolations(CreateTaskRequestSchema, req).map((v) => v.field)).toEqual([
      "task.title",
      "task.tags[1]",
      "task.reminders[1].id",
      "request_id",
    ]);
  });

  test("walks maps, keys included (google.protobuf.Struct)", () => {
    const struct = create(StructSchema, {
      fields: {
        "k\u0000": { kind: { case: "stringValue", value: "v" } },
        ok: { kind: { case: "stringValue", value: "v\u0000" } },
      },
    });
    expect(textFieldViolations(StructSchema, struct).map((v) => v.field)).toEqual([
      'fields key "k\\u0000"',
      'fields["ok"].string_value',
    ]);
  });
});
