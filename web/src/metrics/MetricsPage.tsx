import { useMemo, useState } from "react";
import { useOutletContext } from "react-router";
import { appPath } from "../api/client";
import type { AppMetricsResponse } from "../api/types";
import { useEventStream } from "../api/useEventStream";
import { ErrorBox } from "../common/ErrorBox";
import { LiveBadge } from "../common/LiveBadge";
import { useStreamFailure } from "../common/hooks";
import type { AppContext } from "../app/appState";
import { Chart } from "./Chart";
import { align, emptyMetrics, mergeMetrics, type MetricsState } from "./series";

const Window = 60 * 60 * 1000;

/** CPU and memory per instance over the last hour, and the routers' request rate, latency and 5xx rate, live. */
export function MetricsPage() {
  const ctx = useOutletContext<AppContext>();
  const [state, setState] = useState<MetricsState>(emptyMetrics);
  const [error, setError] = useState<unknown>(null);
  const failed = useStreamFailure(setError);
  const { status } = useEventStream(() => `${appPath(ctx.space, ctx.name)}/metrics/stream`, {
    on: { metrics: (data) => { setError(null); setState((s) => mergeMetrics(s, data as AppMetricsResponse, Window)); } },
    onFailed: failed,
  }, [ctx.space, ctx.name]);

  const instances = useMemo(() => [...state.instances.values()].sort((a, b) => a.index - b.index), [state.instances]);
  const labels = instances.map((s) => ({ label: `#${s.index} (${s.instanceId.slice(0, 8)})` }));
  const cpu = useMemo(() => align(instances.map((s) => s.points), (p) => p.cpuPercent), [instances]);
  const memory = useMemo(() => align(instances.map((s) => s.points), (p) => (p.memoryBytes === null ? null : p.memoryBytes / 1048576)), [instances]);
  const rate = useMemo(() => align([state.router], (p) => p.requestsPerSecond), [state.router]);
  const latency = useMemo(() => {
    const [xs, mean] = align([state.router], (p) => p.meanLatencyMs);
    const [, p95] = align([state.router], (p) => p.p95LatencyMs);
    return [xs, mean!, p95!] as [number[], (number | null)[], (number | null)[]];
  }, [state.router]);
  const errors = useMemo(() => align([state.router], (p) => p.errorRate * 100), [state.router]);

  return (
    <div className="metrics">
      <div className="toolbar"><span className="muted">Last hour, updated as samples arrive</span><LiveBadge status={status} /></div>
      {error ? <ErrorBox error={error} action="see this app's metrics" /> : null}
      {instances.length === 0 && state.router.length === 0 && <p className="card">No samples yet: they arrive with the cells' heartbeats and the routers' reports.</p>}
      <div className="charts">
        <Chart title="CPU per instance" unit="%" series={labels} data={cpu} />
        <Chart title="Memory per instance" unit="MB" series={labels} data={memory} />
        <Chart title="Requests per second" unit="req/s" series={[{ label: "requests/s" }]} data={rate} />
        <Chart title="Latency" unit="ms" series={[{ label: "mean" }, { label: "p95" }]} data={latency} />
        <Chart title="5xx rate" unit="%" series={[{ label: "5xx %" }]} data={errors} />
      </div>
    </div>
  );
}
