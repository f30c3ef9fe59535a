import type { AppMetricsResponse, InstanceMetricsSeries, RouterMetricsPoint } from "../api/types";

export interface MetricsState {
  instances: Map<string, InstanceMetricsSeries>;
  router: RouterMetricsPoint[];
}

export const emptyMetrics = (): MetricsState => ({ instances: new Map(), router: [] });

function upsertByTime<T extends { time: string }>(points: readonly T[], more: readonly T[]): T[] {
  const byTime = new Map(points.map((p) => [p.time, p] as const));
  for (const p of more) byTime.set(p.time, p);
  return [...byTime.values()].sort((a, b) => Date.parse(a.time) - Date.parse(b.time));
}

/** Merges a page of the metrics stream (samples repeat where a slot filled further) and drops what left the window. */
export function mergeMetrics(state: MetricsState, page: AppMetricsResponse, windowMs: number, now = Date.now()): MetricsState {
  const cutoff = now - windowMs;
  const instances = new Map(state.instances);
  for (const s of page.instances) {
    const before = instances.get(s.instanceId);
    instances.set(s.instanceId, { ...s, points: upsertByTime(before?.points ?? [], s.points) });
  }
  for (const [id, s] of instances) {
    const points = s.points.filter((p) => Date.parse(p.time) >= cutoff);
    if (points.length === 0) instances.delete(id);
    else instances.set(id, { ...s, points });
  }
  const router = upsertByTime(state.router, page.router).filter((p) => Date.parse(p.time) >= cutoff);
  return { instances, router };
}

/**
 * uPlot's data: one x axis (seconds) that is the union of every series' times, and each series' values at those
 * times (null where it has none).
 */
export function align<P extends { time: string }>(series: readonly (readonly P[])[], value: (p: P) => number | null): [number[], ...(number | null)[][]] {
  const xs = [...new Set(series.flatMap((s) => s.map((p) => Math.floor(Date.parse(p.time) / 1000))))].sort((a, b) => a - b);
  const index = new Map(xs.map((x, i) => [x, i] as const));
  const ys = series.map((s) => {
    const y: (number | null)[] = new Array(xs.length).fill(null);
    for (const p of s) y[index.get(Math.floor(Date.parse(p.time) / 1000))!] = value(p);
    return y;
  });
  return [xs, ...ys];
}
