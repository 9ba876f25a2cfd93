/** The corpus's fixed moment and zone, and the shorthands its expectations are written with. */
import type { Intent } from "./interpreter";

/** The moment and zone the corpus is read in. */
export const CORPUS_CONTEXT = {
  now: new Date("2027-03-10T15:00:00Z"),
  timeZone: "America/New_York",
} as const;

/** A partial intent: any subset of an intent's fields, nested. */
export type Expected = { readonly kind: Intent["kind"] } & Record<string, unknown>;

export const TOMORROW_6PM = { time: "2027-03-11T23:00:00.000Z", hasTime: true };
export const FRIDAY_3PM = { time: "2027-03-12T20:00:00.000Z", hasTime: true };
export const FRIDAY = { time: "2027-03-13T04:59:00.000Z", hasTime: false };
export const THIS_WEEK = { from: "2027-03-08T05:00:00.000Z", to: "2027-03-15T04:00:00.000Z" };
export const TODAY = { from: "2027-03-10T05:00:00.000Z", to: "2027-03-11T05:00:00.000Z" };
export const YESTERDAY = { from: "2027-03-09T05:00:00.000Z", to: "2027-03-10T05:00:00.000Z" };
export const it = { kind: "it" };
export const text = (t: string) => ({ kind: "text", text: t });
export const create = (task: Record<string, unknown>): Expected => ({ kind: "create", task });
export const list = (query: Record<string, unknown>): Expected => ({ kind: "list", query });
export const complete = (t: string | typeof it): Expected => ({
  kind: "complete",
  target: typeof t === "string" ? text(t) : t,
});
export const reopen = (t: string | typeof it): Expected => ({
  kind: "reopen",
  target: typeof t === "string" ? text(t) : t,
});
export const del = (t: string | typeof it): Expected => ({
  kind: "delete",
  target: typeof t === "string" ? text(t) : t,
});
export const update = (
  t: string | typeof it | { kind: string; index: number },
  changes: Record<string, unknown>,
): Expected => ({
  kind: "update",
  target: typeof t === "string" ? text(t) : t,
  changes,
});
