/** Reading dates and repetitions typed to the tools (MCP's and the model's forms), priority names, and error texts. */
import { describe, expect, test } from "bun:test";
import { create } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { BadRequestSchema } from "@todo/gen/google/rpc/error_details_pb";
import { Priority } from "@todo/gen/todo/task/v1/task_pb";
import { priorityName, priorityOf } from "@todo/language/priority";
import { invalidArgument } from "@todo/platform";
import {
  cleanTags,
  codeName,
  errorText,
  filterValue,
  isIsoDate,
  parseDue,
  parseDueChange,
  parseRepeat,
  readIsoDue,
  ToolInputError,
} from "./index";

// Wednesday 6 May 2026, 12:00 in Berlin.
const ctx = { now: new Date("2026-05-06T10:00:00Z"), timeZone: "Europe/Berlin" };

describe("parseDue", () => {
  test("an RFC 3339 instant with an offset is taken as is", () => {
    expect(parseDue("2026-05-07T17:00:00Z", ctx).toISOString()).toBe("2026-05-07T17:00:00.000Z");
    expect(parseDue("2026-05-07T17:00:00+09:00", ctx).toISOString()).toBe("2026-05-07T08:00:00.000Z");
  });

  test("dates, local times and words are wall-clock time in the user's zone", () => {
    expect(parseDue("2026-05-07T17:00", ctx).toISOString()).toBe("2026-05-07T15:00:00.000Z");
    // A date alone is due by the end of that day.
    expect(parseDue("2026-05-07", ctx).toISOString()).toBe("2026-05-07T21:59:00.000Z");
    expect(parseDue("tomorrow at 5pm", ctx).toISOString()).toBe("2026-05-07T15:00:00.000Z");
    expect(parseDue("in 2 hours", ctx).toISOString()).toBe("2026-05-06T12:00:00.000Z");
    expect(parseDue("tomorrow at 5pm", { ...ctx, timeZone: "America/New_York" }).toISOString()).toBe(
      "2026-05-07T21:00:00.000Z",
    );
  });

  test("text that is not a date, or is a repetition, is refused", () => {
    expect(() => parseDue("banana", ctx)).toThrow(ToolInputError);
    expect(() => parseDue("buy milk tomorrow", ctx)).toThrow(/could not read/);
    expect(() => parseDue("every monday", ctx)).toThrow(/repeat/);
  });
});

describe("parseDueChange", () => {
  test("says whether a time of day was given, so a move can keep the task's own", () => {
    expect(parseDueChange("friday", ctx).hasTime).toBe(false);
    expect(parseDueChange("2026-05-07", ctx)).toEqual({
      time: new Date("2026-05-07T21:59:00.000Z"),
      hasTime: false,
    });
    expect(parseDueChange("friday 3pm", ctx).hasTime).toBe(true);
    expect(parseDueChange("2026-05-07T17:00", ctx).hasTime).toBe(true);
    expect(parseDueChange("2026-05-07T17:00:00Z", ctx)).toEqual({
      time: new Date("2026-05-07T17:00:00Z"),
      hasTime: true,
    });
  });
});

describe("parseRepeat", () => {
  test("an RRULE is taken as is, counted from the due time", () => {
    expect(parseRepeat("RRULE:freq=weekly;byday=mo", ctx)).toEqual({
      repetition: { rrule: "FREQ=WEEKLY;BYDAY=MO", anchor: "schedule" },
    });
  });

  test("words give the rule, its anchor and the first occurrence", () => {
    const monday = parseRepeat("every monday at 9am", ctx);
    expect(monday.repetition).toEqual({ rrule: "FREQ=WEEKLY;BYDAY=MO", anchor: "schedule" });
    expect(monday.firstDue?.toISOString()).toBe("2026-05-11T07:00:00.000Z");
    expect(parseRepeat("every 3 days after I finish", ctx).repetition).toEqual({
      rrule: "FREQ=DAILY;INTERVAL=3",
      anchor: "completion",
    });
    expect(() => parseRepeat("tomorrow", ctx)).toThrow(/does not say how the task repeats/);
  });
});

describe("names and texts", () => {
  test("priorities go by name both ways", () => {
    expect(priorityOf("urgent")).toBe(Priority.URGENT);
    expect(priorityOf("low")).toBe(Priority.LOW);
    expect(priorityOf("none")).toBe(Priority.UNSPECIFIED);
    expect(priorityName(Priority.HIGH)).toBe("high");
    expect(priorityName(Priority.UNSPECIFIED)).toBe("none");
  });

  test("tags lose a leading # and filter values are quoted when needed", () => {
    expect(cleanTags(["#work", " home ", "# x"])).toEqual(["work", "home", "x"]);
    expect(filterValue("work")).toBe("work");
    expect(filterValue('deep "work"')).toBe('"deep \\"work\\""');
  });

  test("errors keep the service's code and message, and hide unexpected ones", () => {
    expect(codeName(Code.NotFound)).toBe("NOT_FOUND");
    expect(codeName(Code.InvalidArgument)).toBe("INVALID_ARGUMENT");
    expect(errorText(new ConnectError('task "x" not found', Code.NotFound))).toBe(
      'NOT_FOUND: task "x" not found',
    );
    const err = invalidArgument([
      { field: "task.title", description: "must not be blank" },
      { field: "task.tags[0]", description: "too long" },
    ]);
    // The message already names the violations: they are not repeated.
    expect(errorText(err)).toBe("INVALID_ARGUMENT: task.title: must not be blank; task.tags[0]: too long");
    const terse = new ConnectError("invalid task", Code.InvalidArgument, undefined, [
      {
        desc: BadRequestSchema,
        value: create(BadRequestSchema, { fieldViolations: [{ field: "task.title", description: "blank" }] }),
      },
    ]);
    expect(errorText(terse)).toBe("INVALID_ARGUMENT: invalid task (task.title: blank)");
    expect(errorText(new ToolInputError("due: nope"))).toBe("INVALID_ARGUMENT: due: nope");
    expect(errorText(new Error("connection string postgres://secret"))).toBe(
      "INTERNAL: the tool failed unexpectedly",
    );
  });
});

describe("readIsoDue", () => {
  test("an ISO date is that day at 23:59 in the zone, without a time of day", () => {
    expect(readIsoDue("2026-05-07", "Europe/Berlin", "due")).toEqual({
      time: "2026-05-07T21:59:00.000Z",
      hasTime: false,
    });
  });

  test("an ISO date-time is wall-clock in the zone unless it has an offset", () => {
    expect(readIsoDue("2026-05-07T17:00", "Europe/Berlin", "due")).toEqual({
      time: "2026-05-07T15:00:00.000Z",
      hasTime: true,
    });
    expect(readIsoDue("2026-05-07 17:00", "Europe/Berlin", "due")?.time).toBe("2026-05-07T15:00:00.000Z");
    expect(readIsoDue("2026-05-07T17:00Z", "Europe/Berlin", "due")?.time).toBe("2026-05-07T17:00:00.000Z");
    expect(isIsoDate(" 2026-05-07T17:00 ")).toBe(true);
  });

  test("words are left to the caller; a date that does not exist is refused", () => {
    expect(readIsoDue("friday 3pm", "Europe/Berlin", "due")).toBeUndefined();
    expect(isIsoDate("friday 3pm")).toBe(false);
    expect(() => readIsoDue("2026-02-30", "Europe/Berlin", "remind_at")).toThrow(
      'remind_at: "2026-02-30" is not a valid date',
    );
  });
});
