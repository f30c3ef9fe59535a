import { describe, expect, it } from "vitest";
import type { AppResponse } from "../src/api/types";
import { applyAppEvent, displayState, filterAndSort, routeUrl } from "../src/apps/appList";

function app(name: string, over: Partial<AppResponse> = {}): AppResponse {
  return {
    id: `id-${name}`, name, state: "STARTED", instances: 1, memoryMb: 256, diskMb: 1024, buildpack: null, command: null,
    routes: [`${name}.apps.localhost`], runningInstances: 1, dropletId: "d", detectedBuildpack: "staticfile",
    createdAt: "2026-01-01T00:00:00Z", updatedAt: "2026-01-01T00:00:00Z", lastUploadedAt: null, volumes: [], ...over,
  };
}

describe("app list", () => {
  const apps = [app("web", { memoryMb: 512 }), app("api", { memoryMb: 128, lastUploadedAt: "2026-02-01T00:00:00Z" }), app("worker", { memoryMb: 1024 })];

  it("filters by name, any case", () => {
    expect(filterAndSort(apps, "WE", { column: "name", descending: false }).map((a) => a.name)).toEqual(["web"]);
    expect(filterAndSort(apps, "", { column: "name", descending: false }).map((a) => a.name)).toEqual(["api", "web", "worker"]);
  });

  it("sorts by any column, both ways", () => {
    expect(filterAndSort(apps, "", { column: "memory", descending: false }).map((a) => a.name)).toEqual(["api", "web", "worker"]);
    expect(filterAndSort(apps, "", { column: "memory", descending: true }).map((a) => a.name)).toEqual(["worker", "web", "api"]);
    expect(filterAndSort(apps, "", { column: "lastPush", descending: true })[0]!.name).toBe("api");
  });

  it("applies the stream's events: the whole list, an upsert, a removal", () => {
    let list = applyAppEvent(undefined, "apps", apps);
    expect(list).toHaveLength(3);
    list = applyAppEvent(list, "app", app("web", { instances: 3 }));
    expect(list.find((a) => a.name === "web")!.instances).toBe(3);
    list = applyAppEvent(list, "app", app("new"));
    expect(list).toHaveLength(4);
    list = applyAppEvent(list, "app-removed", { id: "id-api", name: "api" });
    expect(list.map((a) => a.name).sort()).toEqual(["new", "web", "worker"]);
  });

  it("says what state an app is in as a person reads it", () => {
    expect(displayState(app("a"))).toBe("running");
    expect(displayState(app("a", { state: "STOPPED" }))).toBe("stopped");
    expect(displayState(app("a", { instances: 3, runningInstances: 1 }))).toBe("degraded");
    expect(displayState(app("a", { runningInstances: 0 }))).toBe("starting");
    expect(displayState(app("a", { runningInstances: 0, dropletId: null }))).toBe("not staged");
  });

  it("links routes through the router", () => {
    expect(routeUrl("web.apps.localhost", "http://127.0.0.1:7080")).toBe("http://web.apps.localhost:7080/");
    expect(routeUrl("web.example.com/api", "https://router.example.com")).toBe("https://web.example.com/api");
  });
});
