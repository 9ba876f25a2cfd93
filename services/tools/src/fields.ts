/**
 * The argument schemas the tools are built from. MCP and the language model promise different
 * argument shapes (MCP names a task by id and offers etags and page tokens; the model names a task
 * by id or words and has no paging), so each surface has its own pieces here, side by side, built on
 * the same priority vocabulary. Descriptions are set where a schema is used, so a nullable field does
 * not repeat them inside anyOf.
 */

import { PRIORITY_NAMES } from "@todo/language/priority";
import { z } from "zod";

/** A priority by name: the only form either surface accepts. */
export const priorityArg = z.enum(PRIORITY_NAMES);
/** A task's title. */
export const titleArg = z.string().min(1).max(500);
/** A task's longer notes. */
export const descriptionArg = z.string().max(10_000);

// --- MCP ---

/** How MCP tools describe a date argument. */
export const WHEN_HELP =
  'ISO-8601 (an instant with offset such as 2026-05-07T17:00:00+02:00, or a date 2026-05-07 meaning the end of that day) or plain English in the user\'s time zone ("tomorrow 5pm", "next friday", "in 2 hours").';
/** The task an MCP tool acts on. */
export const idArg = z.string().min(1).max(100).describe("The task's id, from list_tasks or add_task.");
/** Tag names for MCP (a leading # is dropped when they are used). */
export const tagListArg = z.array(z.string().min(1).max(64)).max(20);
/** The etag an MCP caller read. */
export const etagArg = z.string().max(200);
/** A page token. */
export const pageTokenArg = z.string().max(2000);

// --- the language model ---

/** A year of minutes: the longest "before the due time" a reminder may be. */
export const MAX_BEFORE_MINUTES = 366 * 24 * 60;
/** How the model's tools describe a priority argument. */
export const PRIORITY_HELP = "A priority by name: low, medium, high or urgent. Never a number.";
/** The task a model tool acts on: an id, or words of its title. */
export const taskRefArg = z
  .string()
  .min(1)
  .max(500)
  .describe(
    'The task: its id from an earlier tool result or the context (preferred), or words of its title. "it" is the task touched last.',
  );
/** A tag name for the model, without its #. */
export const tagNameArg = z
  .string()
  .min(1)
  .max(65)
  .transform((t) => t.replace(/^#/, ""))
  .describe("A tag name, without #.");
/** Tag names for the model. */
export const tagNamesArg = z.array(tagNameArg).max(20);
/** A due date for the model, in ISO 8601 or words. */
export const dueArg = z.string().min(1).max(200);
/** How the model's tools describe a due date. */
export const DUE_HELP =
  'When it is due, in the user\'s time zone: "2027-03-12T15:00", "2027-03-12" (that day), or words such as "friday 3pm", "tomorrow", "in 2 hours".';
/** A repetition for the model, in words or an RRULE. */
export const repeatArg = z.string().min(1).max(200);
/** How the model's tools describe a repetition. */
export const REPEAT_HELP =
  'How it repeats, in words: "every Monday", "every weekday at 9am", "on the 1st of every month", "every 3 days after I finish" (counted from completion); or an RRULE such as "FREQ=WEEKLY;BYDAY=MO".';
/** When a reminder fires, for the model. */
export const remindAtArg = z
  .string()
  .min(1)
  .max(200)
  .describe('When a reminder fires: "2027-03-12T09:00", or words such as "tomorrow at 9am", "at 5pm".');
/** Minutes before the due time, for the model. */
export const beforeMinutesArg = z.number().int().min(0).max(MAX_BEFORE_MINUTES);
/** The arguments of a model tool that names one task and nothing else. */
export const TaskOnlyArgs = z.strictObject({ task: taskRefArg });
