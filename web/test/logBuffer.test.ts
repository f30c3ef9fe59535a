import { describe, expect, it } from "vitest";
import type { LogLineResponse } from "../src/api/types";
import { LogBuffer, matches, render, sourceOf, sources } from "../src/logs/logBuffer";

const line = (id: number, source = "APP/PROC/WEB", text = `line ${id}`, sourceIndex = 0): LogLineResponse => ({
  id, timestamp: "2026-01-02T03:04:05.6789+00:00", source, sourceIndex, stream: "OUT", text,
});

describe("log buffer", () => {
  it("takes each id once, in order: a reconnect's repeats are dropped", () => {
    const b = new LogBuffer(100);
    expect(b.push([line(1), line(2), line(3)])).toBe(3);
    expect(b.push([line(2), line(3), line(4)])).toBe(1);
    expect(b.lines.map((l) => l.id)).toEqual([1, 2, 3, 4]);
    expect(b.duplicates).toBe(2);
    expect(b.lastId).toBe(4);
  });

  it("stays bounded however many lines come", () => {
    const b = new LogBuffer(1000);
    for (let i = 1; i <= 30_000; i += 100) b.push(Array.from({ length: 100 }, (_, k) => line(i + k)));
    expect(b.received).toBe(30_000);
    expect(b.lines.length).toBeLessThanOrEqual(1250);
    expect(b.lines.at(-1)!.id).toBe(30_000);
  });

  it("filters by source, instance and text", () => {
    const all = new Set(sources);
    expect(sourceOf(line(1, "APP/PROC/WEB"))).toBe("APP");
    expect(sourceOf(line(1, "RTR"))).toBe("RTR");
    expect(matches(line(1, "RTR"), { sources: new Set(["APP"]), instance: null, text: "" })).toBe(false);
    expect(matches(line(1, "APP/PROC/WEB", "x", 1), { sources: all, instance: 1, text: "" })).toBe(true);
    expect(matches(line(1, "APP/PROC/WEB", "x", 0), { sources: all, instance: 1, text: "" })).toBe(false);
    expect(matches(line(1, "STG", "Downloading"), { sources: all, instance: null, text: "download" })).toBe(true);
  });

  it("renders lines as plat logs does, markup as it is", () => {
    expect(render(line(1, "RTR", "<script>alert(1)</script>"))).toBe("2026-01-02T03:04:05.67+00:00 [RTR/0] OUT <script>alert(1)</script>");
    const b = new LogBuffer(10);
    b.push([line(1), line(2, "RTR")]);
    expect(b.text({ sources: new Set(["RTR"]), instance: null, text: "" })).toBe(render(line(2, "RTR")) + "\n");
  });
});
