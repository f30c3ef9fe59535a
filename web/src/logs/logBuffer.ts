import type { LogLineResponse } from "../api/types";

export type LogSource = "APP" | "RTR" | "STG" | "CELL" | "OTHER";
export const sources: LogSource[] = ["APP", "RTR", "STG", "CELL"];

/** The filter a line's source falls under: APP/PROC/WEB is APP, the rest by name. */
export function sourceOf(line: Pick<LogLineResponse, "source">): LogSource {
  const s = line.source.toUpperCase();
  if (s.startsWith("APP")) return "APP";
  if (s === "RTR" || s === "STG" || s === "CELL") return s;
  return "OTHER";
}

/** A line as plat logs prints it (Cloud Foundry's format). */
export function render(line: LogLineResponse): string {
  return `${line.timestamp.replace(/(\.\d{2})\d*/, "$1")} [${line.source}/${line.sourceIndex}] ${line.stream} ${line.text}`;
}

export interface LogFilter {
  sources: ReadonlySet<LogSource>;
  /** Instance index of APP lines, or null: all. */
  instance: number | null;
  text: string;
}

export function matches(line: LogLineResponse, filter: LogFilter): boolean {
  const source = sourceOf(line);
  if (source !== "OTHER" && !filter.sources.has(source)) return false;
  if (filter.instance !== null && (source !== "APP" || line.sourceIndex !== filter.instance)) return false;
  if (filter.text && !line.text.toLowerCase().includes(filter.text.toLowerCase())) return false;
  return true;
}

/**
 * The lines the Logs screen holds: at most `capacity` (the oldest go first, so memory stays bounded however long the
 * page stays open), each id once and in order: a line with an id not above the last one is a repeat (a reconnect
 * that sent what was already there) and is dropped.
 */
export class LogBuffer {
  private items: LogLineResponse[] = [];
  lastId = 0;
  /** Lines taken in since the page opened (including those since pushed out by the capacity). */
  received = 0;
  /** Repeats refused. */
  duplicates = 0;

  constructor(readonly capacity: number) {}

  get lines(): readonly LogLineResponse[] {
    return this.items;
  }

  /** Takes the lines it has not seen; returns how many. */
  push(lines: readonly LogLineResponse[]): number {
    let taken = 0;
    for (const line of lines) {
      if (line.id <= this.lastId) {
        this.duplicates++;
        continue;
      }
      this.items.push(line);
      this.lastId = line.id;
      taken++;
    }
    this.received += taken;
    // Trimmed in chunks, not one line at a time: a copy per quarter of capacity, not per line.
    if (this.items.length > this.capacity * 1.25) this.items = this.items.slice(this.items.length - this.capacity);
    return taken;
  }

  /** Everything held, as text, for the Download button. */
  text(filter?: LogFilter): string {
    const shown = filter ? this.items.filter((l) => matches(l, filter)) : this.items;
    return shown.map(render).join("\n") + (shown.length ? "\n" : "");
  }
}
