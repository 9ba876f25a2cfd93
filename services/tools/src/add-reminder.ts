/** add_reminder: adds a reminder to one open task (the language model's tools only). */
import { z } from "zod";
import { beforeMinutesArg, remindAtArg, taskRefArg } from "./fields";
import { modelFace } from "./operation";

export const addReminder = {
  name: "add_reminder",
  model: modelFace({
    description: "Adds a reminder to one open task: some minutes before its due time, or at a given time.",
    args: z
      .strictObject({
        task: taskRefArg,
        before_due_minutes: beforeMinutesArg
          .optional()
          .describe("Fire this many minutes before the due time."),
        at: remindAtArg.optional(),
      })
      .refine((a) => (a.before_due_minutes === undefined) !== (a.at === undefined), {
        message: "give exactly one of before_due_minutes and at",
      }),
  }),
} as const;
