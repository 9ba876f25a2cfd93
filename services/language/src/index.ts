/**
 * @todo/language — the natural-language parser shared by the web app's quick-add box and the
 * assistant (issues 4 and 6). Pure TypeScript for the browser and Bun: chrono-node for numeric date
 * forms, the Temporal polyfill for time zones, and its own grammar for the rest. The user-facing
 * grammar is docs/quick-add.md.
 */
export { describeRecurrence } from "./describe.ts";
export {
  DEFAULT_DATE_ONLY_TIME,
  parseQuickAdd,
  type QuickAddContext,
  type QuickAddPriority,
  type QuickAddReminder,
  type QuickAddResult,
  type QuickAddSpan,
  type QuickAddSpanKind,
  REMINDER_DEFAULT_TIME,
} from "./quick-add.ts";
export { newWordTable, wordTable } from "./word-table.ts";
