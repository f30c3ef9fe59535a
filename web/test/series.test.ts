import { describe, expect, it } from "vitest";
import { align, emptyMetrics, mergeMetrics } from "../src/metrics/series";

const p = (time: string, cpu: number) => ({ time, cpuPercent: cpu, memoryBytes: null, memoryLimitBytes: null, diskBytes: null, diskLimitBytes: null });

describe("metrics series", () => {
  it("aligns series on one time axis with gaps as null", () => {
    const [xs, a, b] = align([[p("2026-01-01T00:00:00Z", 1), p("2026-01-01T00:00:10Z", 2)], [p("2026-01-01T00:00:05Z", 7)]], (x) => x.cpuPercent);
    expect(xs).toEqual([1767225600, 1767225605, 1767225610]);
    expect(a).toEqual([1, null, 2]);
    expect(b).toEqual([null, 7, null]);
  });

  it("merges stream pages by time (a repeated slot is replaced) and drops what left the window", () => {
    const now = Date.parse("2026-01-01T01:00:00Z");
    let s = mergeMetrics(emptyMetrics(), {
      appId: "a", since: "", instances: [{ instanceId: "i", index: 0, points: [p("2026-01-01T00:00:00Z", 1), p("2026-01-01T00:30:00Z", 2)] }],
      router: [{ time: "2026-01-01T00:59:00Z", intervalSeconds: 5, requests: 1, errors5xx: 0, meanLatencyMs: 1, p95LatencyMs: 5, requestsPerSecond: 0.2, errorRate: 0 }],
    }, 3600_000, now);
    s = mergeMetrics(s, {
      appId: "a", since: "", instances: [{ instanceId: "i", index: 0, points: [p("2026-01-01T00:30:00Z", 3)] }],
      router: [{ time: "2026-01-01T00:59:00Z", intervalSeconds: 5, requests: 4, errors5xx: 1, meanLatencyMs: 1, p95LatencyMs: 5, requestsPerSecond: 0.8, errorRate: 0.25 }],
    }, 3600_000, now);
    expect(s.instances.get("i")!.points.map((x) => x.cpuPercent)).toEqual([1, 3]);
    expect(s.router).toHaveLength(1);
    expect(s.router[0]!.requests).toBe(4);
    const later = mergeMetrics(s, { appId: "a", since: "", instances: [], router: [] }, 3600_000, now + 45 * 60_000);
    expect(later.instances.size).toBe(0);
  });
});
