/**
 * Tag colours: CSS hex `#rrggbb`, stored lower-cased. A tag without a chosen colour gets one derived
 * from its name (ignoring case), so the same name always looks the same, on every device and after
 * an implicit tag disappears and comes back.
 */

/** Distinct, readable colours on both light and dark backgrounds. */
const PALETTE = [
  "#ef4444",
  "#f97316",
  "#f59e0b",
  "#84cc16",
  "#22c55e",
  "#10b981",
  "#14b8a6",
  "#06b6d4",
  "#0ea5e9",
  "#3b82f6",
  "#6366f1",
  "#8b5cf6",
  "#a855f7",
  "#d946ef",
  "#ec4899",
  "#64748b",
] as const;

const HEX_COLOR = /^#[0-9a-fA-F]{6}$/;

/** Whether `color` is a `#rrggbb` colour. */
export function isHexColor(color: string): boolean {
  return HEX_COLOR.test(color);
}

/** The colour a tag named `name` gets when none is chosen (FNV-1a of the lower-cased name). */
export function defaultTagColor(name: string): string {
  const key = name.trim().toLowerCase();
  let hash = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    hash ^= key.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return PALETTE[hash % PALETTE.length] as string;
}

/** The stored form of a valid colour (lower-cased). */
export function normaliseColor(color: string): string {
  return color.trim().toLowerCase();
}
