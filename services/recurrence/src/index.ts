/**
 * Recurring tasks' rules: the RRULE syntax Todo accepts, their expansion in a task's time zone,
 * how a due time fits its rule, the occurrences PreviewRecurrence shows, the next instance of a
 * completed task, and the key that ties a completion to that instance. Pure functions (no I/O, no
 * clock, no dependence on the process's `TZ`), shared by the task and scheduler services; the
 * rules with examples are in docs/recurrence.md.
 */

export {
  HORIZON_YEARS,
  MAX_STEPS,
  type Occurrence,
  type ParsedRule,
  parseRule,
  placeWall,
  RecurrenceError,
  RecurrenceLimitError,
  type Until,
  walk,
  withCount,
  withTimeOfDay,
  zonedIn,
} from "./expand";
export { fitRecurrence, neverRepeatsProblem, type RecurrenceFit } from "./fit";
export { nextInstanceRequestId } from "./next-instance-key";
export {
  MAX_PREVIEW,
  type NextOccurrence,
  type NextOccurrenceInput,
  nextOccurrence,
  previewOccurrences,
} from "./occurrences";
export { rruleProblem } from "./rrule-syntax";
