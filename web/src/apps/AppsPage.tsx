import { useMemo, useState } from "react";
import { Link, useParams } from "react-router";
import { useQuery, useQueryClient } from "@tanstack/react-query";
import type { AppResponse } from "../api/types";
import { spacePath } from "../api/client";
import { useEventStream } from "../api/useEventStream";
import { ErrorBox } from "../common/ErrorBox";
import { ago, mb } from "../common/format";
import { useSpace } from "../common/spaces";
import { LiveBadge } from "../common/LiveBadge";
import { useInfo, useStreamFailure } from "../common/hooks";
import { applyAppEvent, displayState, filterAndSort, routeUrl, type AppColumn, type AppSort } from "./appList";

const columns: { id: AppColumn; label: string }[] = [
  { id: "name", label: "Name" },
  { id: "state", label: "State" },
  { id: "instances", label: "Instances" },
  { id: "memory", label: "Memory" },
  { id: "disk", label: "Disk" },
  { id: "routes", label: "Routes" },
  { id: "buildpack", label: "Buildpack" },
  { id: "lastPush", label: "Last push" },
];

export const appsKey = (space: string) => ["apps", space] as const;

/** Every app of the space, live: the space's stream pushes each change; nothing polls. */
export function AppsPage() {
  const { space = "" } = useParams();
  const client = useQueryClient();
  const { space: current, can } = useSpace(space);
  const info = useInfo();
  const [filter, setFilter] = useState("");
  const [sort, setSort] = useState<AppSort>({ column: "name", descending: false });
  const [streamError, setStreamError] = useState<unknown>(null);
  const failed = useStreamFailure(setStreamError);
  // The stream's first event is the whole list: the cache is filled from it.
  const apps = useQuery<AppResponse[]>({ queryKey: appsKey(space), queryFn: () => Promise.resolve([]), enabled: false, staleTime: Infinity });
  const update = (type: string) => (data: unknown) => {
    setStreamError(null);
    client.setQueryData<AppResponse[]>(appsKey(space), (list) => applyAppEvent(list, type, data));
  };
  const { status } = useEventStream(() => `${spacePath(space)}/stream`, {
    on: { apps: update("apps"), app: update("app"), "app-removed": update("app-removed") },
    onFailed: failed,
  }, [space]);
  const shown = useMemo(() => filterAndSort(apps.data ?? [], filter, sort), [apps.data, filter, sort]);

  const sortBy = (column: AppColumn) =>
    setSort((s) => ({ column, descending: s.column === column ? !s.descending : false }));

  return (
    <section>
      <div className="page-head">
        <h1>Apps{current ? <span className="muted"> in {current.orgName} / {current.name}</span> : null}</h1>
        <LiveBadge status={status} />
        {can("Write") && <Link className="button primary" to={`/spaces/${space}/push`}>Push an app</Link>}
      </div>
      {streamError ? <ErrorBox error={streamError} action="see the apps of this space" /> : null}
      <div className="toolbar">
        <label htmlFor="filter">Filter by name</label>
        <input id="filter" type="search" value={filter} onChange={(e) => setFilter(e.target.value)} />
        <span className="muted" aria-live="polite">{apps.data ? `${shown.length} of ${apps.data.length} apps` : ""}</span>
      </div>
      {!apps.data ? (
        <p role="status">Loading apps…</p>
      ) : apps.data.length === 0 ? (
        <p className="card">No apps in this space yet. Push one with <code>plat push NAME</code> or from the Push screen.</p>
      ) : (
        <table className="grid apps">
          <caption className="sr-only">Apps, sortable by every column</caption>
          <thead>
            <tr>
              {columns.map((c) => (
                <th key={c.id} scope="col" aria-sort={sort.column === c.id ? (sort.descending ? "descending" : "ascending") : "none"}>
                  <button type="button" className="sort" onClick={() => sortBy(c.id)}>
                    {c.label}
                    <span aria-hidden="true">{sort.column === c.id ? (sort.descending ? " ▼" : " ▲") : ""}</span>
                  </button>
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {shown.map((a) => (
              <tr key={a.id} data-app={a.name}>
                <td><Link to={`/spaces/${space}/apps/${encodeURIComponent(a.name)}`}>{a.name}</Link></td>
                <td><span className={`state state-${displayState(a).replace(" ", "-")}`}>{displayState(a)}</span></td>
                <td className="num" data-testid="instances">{a.runningInstances}/{a.instances}</td>
                <td className="num">{mb(a.memoryMb)}</td>
                <td className="num">{mb(a.diskMb)}</td>
                <td>
                  {a.routes.map((r) => (
                    <a key={r} href={routeUrl(r, info.data?.routerUrl)} target="_blank" rel="noreferrer noopener">{r}</a>
                  ))}
                </td>
                <td>{a.detectedBuildpack ?? a.buildpack ?? "–"}</td>
                <td>{a.lastUploadedAt ? ago(a.lastUploadedAt) : "never"}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
