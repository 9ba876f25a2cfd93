/**
 * Keeps the measured tables of `bun run chaos` in docs/reliability.md: each mode's table, with the
 * command, date and machine, goes between that mode's `<!-- chaos:<mode>:begin -->` and
 * `<!-- chaos:<mode>:end -->` markers, so the prose around it (how to read it, what failed and
 * why) stays as written and a run of one mode leaves the other's table alone.
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { cpus, release, totalmem } from "node:os";
import { join } from "node:path";
import { formatTable, type ModeReport } from "./chaos-run.ts";

const DOC = join(import.meta.dir, "..", "..", "docs", "reliability.md");

/** One line about this machine: CPU model and count, memory, kernel, Bun. */
export function machineLine(): string {
  const cpu = cpus();
  return (
    `${cpu.length} × ${cpu[0]?.model.trim() ?? "unknown CPU"}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, ` +
    `Linux ${release()}, Bun ${Bun.version}`
  );
}

/** The block written between one mode's markers. */
export function modeBlock(report: ModeReport, command: string): string {
  return [
    `Measured ${report.startedAt.toISOString().slice(0, 16).replace("T", " ")} UTC with \`${command}\` on ${machineLine()}.`,
    "",
    formatTable(report),
  ].join("\n");
}

/** Replaces (or appends) each report's block in docs/reliability.md; returns the file's path. */
export async function writeReliabilityDoc(reports: readonly ModeReport[], command: string): Promise<string> {
  let text = existsSync(DOC) ? readFileSync(DOC, "utf8") : "# Reliability\n";
  for (const report of reports) {
    const begin = `<!-- chaos:${report.mode}:begin -->`;
    const end = `<!-- chaos:${report.mode}:end -->`;
    const block = `${begin}\n${modeBlock(report, command)}\n${end}`;
    const from = text.indexOf(begin);
    const to = text.indexOf(end);
    text =
      from >= 0 && to > from
        ? `${text.slice(0, from)}${block}${text.slice(to + end.length)}`
        : `${text.trimEnd()}\n\n${block}\n`;
  }
  writeFileSync(DOC, text);
  return DOC;
}
