import { Suspense, useState } from "react";
import { NavLink, Outlet, useParams } from "react-router";
import { useQuery, useQueryClient } from "@tanstack/react-query";
import type { AppDetailResponse } from "../api/types";
import { appPath } from "../api/client";
import { useEventStream } from "../api/useEventStream";
import { ErrorBox } from "../common/ErrorBox";
import { LiveBadge } from "../common/LiveBadge";
import { useStreamFailure } from "../common/hooks";
import { useSpace } from "../common/spaces";
import { useApi } from "../session/session";
import { appKey, eventsKey, envKey, type AppContext } from "./appState";

/** One app: its stream keeps the summary, instances and every tab current. */
export function AppLayout() {
  const { space = "", name = "" } = useParams();
  const api = useApi();
  const client = useQueryClient();
  const { can } = useSpace(space);
  const [removed, setRemoved] = useState(false);
  const [streamError, setStreamError] = useState<unknown>(null);
  const detail = useQuery<AppDetailResponse>({ queryKey: appKey(space, name), queryFn: () => api.app(space, name), staleTime: Infinity });
  const failed = useStreamFailure(setStreamError, () => api.app(space, name));
  const { status } = useEventStream(() => `${appPath(space, name)}/stream`, {
    on: {
      app: (data) => {
        setRemoved(false);
        setStreamError(null);
        const next = data as AppDetailResponse;
        const before = client.getQueryData<AppDetailResponse>(appKey(space, name));
        client.setQueryData(appKey(space, name), next);
        // The environment answer says whether a restart is due: it changes when instances do.
        if (before && JSON.stringify(before.instanceDetails.map((i) => i.id)) !== JSON.stringify(next.instanceDetails.map((i) => i.id)))
          void client.invalidateQueries({ queryKey: envKey(space, name) });
      },
      "app-removed": () => setRemoved(true),
      events: () => void client.invalidateQueries({ queryKey: eventsKey(space, name) }),
    },
    onFailed: failed,
  }, [space, name]);

  const context: AppContext = {
    space, name, detail: detail.data, removed, canWrite: can("Write"), canReadSecrets: can("ReadSecrets"),
  };
  const base = `/spaces/${space}/apps/${encodeURIComponent(name)}`;
  return (
    <section>
      <div className="page-head">
        <h1>{name}</h1>
        <LiveBadge status={status} />
      </div>
      <nav className="tabs" aria-label="App">
        <NavLink to={base} end>Summary</NavLink>
        <NavLink to={`${base}/logs`}>Logs</NavLink>
        <NavLink to={`${base}/events`}>Events</NavLink>
        <NavLink to={`${base}/metrics`}>Metrics</NavLink>
        {context.canReadSecrets && <NavLink to={`${base}/env`}>Environment</NavLink>}
      </nav>
      {removed && <p className="error" role="alert">This app was deleted.</p>}
      {detail.error && !detail.data ? <ErrorBox error={detail.error} action={`see app ${name}`} /> : null}
      {streamError && detail.data ? <ErrorBox error={streamError} /> : null}
      <Suspense fallback={<p role="status">Loading…</p>}>
        <Outlet context={context} />
      </Suspense>
    </section>
  );
}
