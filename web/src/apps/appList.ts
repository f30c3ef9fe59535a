import type { AppRemoved, AppResponse } from "../api/types";

export type AppColumn = "name" | "state" | "instances" | "memory" | "disk" | "routes" | "buildpack" | "lastPush";
export interface AppSort {
  column: AppColumn;
  descending: boolean;
}

/** The app's state as a person reads it: a started app with no running instance yet is "starting", etc. */
export function displayState(app: AppResponse): string {
  if (app.state !== "STARTED") return "stopped";
  if (app.instances === 0) return "started";
  if (app.runningInstances >= app.instances) return "running";
  if (app.runningInstances === 0) return app.dropletId ? "starting" : "not staged";
  return "degraded";
}

function key(app: AppResponse, column: AppColumn): string | number {
  switch (column) {
    case "name": return app.name;
    case "state": return displayState(app);
    case "instances": return app.runningInstances * 10000 + app.instances;
    case "memory": return app.memoryMb;
    case "disk": return app.diskMb;
    case "routes": return app.routes[0] ?? "";
    case "buildpack": return app.detectedBuildpack ?? app.buildpack ?? "";
    case "lastPush": return app.lastUploadedAt ? Date.parse(app.lastUploadedAt) : 0;
  }
}

/** Apps whose name contains the filter (any case), sorted by the column; ties by name. */
export function filterAndSort(apps: readonly AppResponse[], filter: string, sort: AppSort): AppResponse[] {
  const f = filter.trim().toLowerCase();
  const shown = f ? apps.filter((a) => a.name.toLowerCase().includes(f)) : [...apps];
  const dir = sort.descending ? -1 : 1;
  return shown.sort((a, b) => {
    const ka = key(a, sort.column);
    const kb = key(b, sort.column);
    const c = typeof ka === "number" && typeof kb === "number" ? ka - kb : String(ka).localeCompare(String(kb));
    return c !== 0 ? c * dir : a.name.localeCompare(b.name);
  });
}

/** The list after one event of the space's stream. */
export function applyAppEvent(list: readonly AppResponse[] | undefined, type: string, data: unknown): AppResponse[] {
  if (type === "apps") return data as AppResponse[];
  const current = list ?? [];
  if (type === "app") {
    const app = data as AppResponse;
    const i = current.findIndex((a) => a.id === app.id);
    if (i < 0) return [...current.filter((a) => a.name !== app.name), app];
    const next = current.slice();
    next[i] = app;
    return next;
  }
  if (type === "app-removed") {
    const gone = data as AppRemoved;
    return current.filter((a) => a.id !== gone.id);
  }
  return current.slice();
}

/** The URL of a route through the router: the route's host on the router's port and scheme. */
export function routeUrl(route: string, routerUrl: string | undefined): string {
  try {
    const router = new URL(routerUrl ?? "http://127.0.0.1:7080");
    const slash = route.indexOf("/");
    const host = slash < 0 ? route : route.slice(0, slash);
    const path = slash < 0 ? "/" : route.slice(slash);
    return `${router.protocol}//${host}${router.port ? `:${router.port}` : ""}${path}`;
  } catch {
    return `http://${route}`;
  }
}
