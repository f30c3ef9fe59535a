import { useEffect, useState, type FormEvent } from "react";
import { useNavigate, useOutletContext } from "react-router";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import type { AppDetailResponse, AppResponse } from "../api/types";
import { ErrorBox } from "../common/ErrorBox";
import { bytes, dateTime, duration, mb, parseSize, percent } from "../common/format";
import { useInfo } from "../common/hooks";
import { useNow } from "../common/useNow";
import { displayState, routeUrl } from "../apps/appList";
import { useApi } from "../session/session";
import { appKey, uptimeSeconds, type AppContext } from "./appState";

export function AppSummaryPage() {
  const ctx = useOutletContext<AppContext>();
  const { detail } = ctx;
  if (!detail) return ctx.removed ? null : <p role="status">Loading…</p>;
  return (
    <>
      <Summary detail={detail} />
      {ctx.canWrite && !ctx.removed && <Controls ctx={ctx} app={detail.app} />}
      <Instances detail={detail} />
    </>
  );
}

function Summary({ detail }: { detail: AppDetailResponse }) {
  const info = useInfo();
  const a = detail.app;
  return (
    <dl className="card summary" aria-label="Summary">
      <div><dt>State</dt><dd data-testid="app-state">{displayState(a)}</dd></div>
      <div><dt>Instances</dt><dd>{a.runningInstances}/{a.instances} running</dd></div>
      <div><dt>Memory</dt><dd>{mb(a.memoryMb)}</dd></div>
      <div><dt>Disk</dt><dd>{mb(a.diskMb)}</dd></div>
      <div>
        <dt>Routes</dt>
        <dd>{a.routes.length === 0 ? "none" : a.routes.map((r) => (
          <a key={r} href={routeUrl(r, info.data?.routerUrl)} target="_blank" rel="noreferrer noopener">{r}</a>
        ))}</dd>
      </div>
      <div><dt>Buildpack</dt><dd>{a.detectedBuildpack ?? a.buildpack ?? "–"}</dd></div>
      <div><dt>Stack</dt><dd>{detail.stack ?? "–"}</dd></div>
      <div><dt>Start command</dt><dd><code>{a.command ?? detail.startCommand ?? "–"}</code></dd></div>
      <div><dt>Droplet</dt><dd><code className="digest">{detail.dropletDigest ?? "not staged"}</code></dd></div>
      <div><dt>Last push</dt><dd>{dateTime(a.lastUploadedAt)}</dd></div>
    </dl>
  );
}

function Controls({ ctx, app }: { ctx: AppContext; app: AppResponse }) {
  const api = useApi();
  const client = useQueryClient();
  const navigate = useNavigate();
  const [instances, setInstances] = useState(String(app.instances));
  const [memory, setMemory] = useState(mb(app.memoryMb));
  const [disk, setDisk] = useState(mb(app.diskMb));
  const [confirming, setConfirming] = useState(false);
  const [typed, setTyped] = useState("");
  const [problem, setProblem] = useState<string | null>(null);

  // The form follows the app when someone else scales it, unless the user is editing.
  const [dirty, setDirty] = useState(false);
  useEffect(() => {
    if (dirty) return;
    setInstances(String(app.instances));
    setMemory(mb(app.memoryMb));
    setDisk(mb(app.diskMb));
  }, [app.instances, app.memoryMb, app.diskMb, dirty]);

  const merge = (updated: AppResponse) =>
    client.setQueryData<AppDetailResponse>(appKey(ctx.space, ctx.name), (d) => (d ? { ...d, app: updated } : d));

  const scale = useMutation({
    mutationFn: () => {
      const n = Number(instances);
      const body: { instances?: number; memory?: string; disk?: string } = {};
      if (n !== app.instances) body.instances = n;
      if (parseSize(memory) !== app.memoryMb) body.memory = memory.trim();
      if (parseSize(disk) !== app.diskMb) body.disk = disk.trim();
      if (Object.keys(body).length === 0) body.instances = n;
      return api.scale(ctx.space, ctx.name, body);
    },
    onSuccess: (a) => { merge(a); setDirty(false); },
  });
  const action = useMutation({
    mutationFn: (what: "start" | "stop" | "restart") => api[what](ctx.space, ctx.name),
    onSuccess: merge,
  });
  const remove = useMutation({
    mutationFn: () => api.deleteApp(ctx.space, ctx.name),
    onSuccess: () => navigate(`/spaces/${ctx.space}/apps`),
  });

  const submit = (e: FormEvent) => {
    e.preventDefault();
    const n = Number(instances);
    if (!Number.isInteger(n) || n < 0) return setProblem("Instances must be a whole number, 0 or more.");
    if (parseSize(memory) === null) return setProblem("Memory must be a size such as 256M or 1G.");
    if (parseSize(disk) === null) return setProblem("Disk must be a size such as 1G or 512M.");
    setProblem(null);
    scale.mutate();
  };

  const started = app.state === "STARTED";
  return (
    <div className="card controls">
      <form className="scale" onSubmit={submit} aria-label="Scale">
        <div>
          <label htmlFor="instances">Instances</label>
          <input id="instances" inputMode="numeric" value={instances} onChange={(e) => { setDirty(true); setInstances(e.target.value); }} />
        </div>
        <div>
          <label htmlFor="memory">Memory</label>
          <input id="memory" value={memory} onChange={(e) => { setDirty(true); setMemory(e.target.value); }} />
        </div>
        <div>
          <label htmlFor="disk">Disk</label>
          <input id="disk" value={disk} onChange={(e) => { setDirty(true); setDisk(e.target.value); }} />
        </div>
        <button type="submit" className="primary" disabled={scale.isPending}>Scale</button>
      </form>
      <div className="actions" role="group" aria-label="App actions">
        <button type="button" disabled={started || action.isPending} onClick={() => action.mutate("start")}>Start</button>
        <button type="button" disabled={!started || action.isPending} onClick={() => action.mutate("stop")}>Stop</button>
        <button type="button" disabled={action.isPending || !app.dropletId} onClick={() => action.mutate("restart")}>Restart</button>
        <button type="button" className="danger" onClick={() => { setConfirming(true); setTyped(""); }}>Delete</button>
      </div>
      {problem && <p className="error" role="alert">{problem}</p>}
      {scale.error && <ErrorBox error={scale.error} action="scale this app" />}
      {action.error && <ErrorBox error={action.error} action="change this app's state" />}
      {confirming && (
        <div className="confirm" role="dialog" aria-modal="false" aria-labelledby="delete-title">
          <h2 id="delete-title">Delete {ctx.name}?</h2>
          <p>This removes the app, its routes, packages and logs. Type the app's name to confirm.</p>
          <form onSubmit={(e) => { e.preventDefault(); if (typed === ctx.name) remove.mutate(); }}>
            <label htmlFor="confirm-name">App name</label>
            <input id="confirm-name" value={typed} autoFocus onChange={(e) => setTyped(e.target.value)}
              onKeyDown={(e) => { if (e.key === "Escape") setConfirming(false); }} />
            <button type="submit" className="danger" disabled={typed !== ctx.name || remove.isPending}>Delete app</button>
            <button type="button" onClick={() => setConfirming(false)}>Cancel</button>
          </form>
          {remove.error && <ErrorBox error={remove.error} action="delete this app" />}
        </div>
      )}
    </div>
  );
}

function Instances({ detail }: { detail: AppDetailResponse }) {
  const now = useNow();
  const rows = detail.instanceDetails;
  return (
    <section className="card" aria-labelledby="instances-title">
      <h2 id="instances-title">Instance details</h2>
      {rows.length === 0 ? (
        <p>No instances{detail.app.state === "STARTED" ? " yet" : ": the app is stopped"}.</p>
      ) : (
        <table className="grid" aria-labelledby="instances-title">
          <thead>
            <tr>
              <th scope="col">Index</th><th scope="col">State</th><th scope="col">Since</th><th scope="col">CPU</th>
              <th scope="col">Memory</th><th scope="col">Disk</th><th scope="col">Uptime</th><th scope="col">Crash reason</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((i) => (
              <tr key={i.id} data-state={i.state}>
                <td className="num">{i.index}</td>
                <td><span className={`state state-${i.state.toLowerCase()}`}>{i.state.toLowerCase()}</span></td>
                <td>{dateTime(i.since)}</td>
                <td className="num">{percent(i.cpuPercent)}</td>
                <td className="num">{bytes(i.memoryBytes)} / {bytes(i.memoryLimitBytes)}</td>
                <td className="num">{bytes(i.diskBytes)} / {bytes(i.diskLimitBytes)}</td>
                <td className="num">{duration(uptimeSeconds(i.startedAt, i.state, now))}</td>
                <td>{i.state === "CRASHED" ? i.reason ?? "unknown" : i.reason && i.state !== "RUNNING" ? i.reason : ""}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
