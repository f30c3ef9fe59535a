using System.Runtime.CompilerServices;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Platform.Api.Access;
using Platform.Api.Infrastructure;
using Platform.Contracts.Api;
using Platform.Api.OpenApi;

namespace Platform.Api.Live;

/// <summary>
/// The dashboard's push channel for lists, as Server-Sent Events: GET /v1/spaces/{space}/stream (the space's apps:
/// "apps" with all of them first, then "app" for each one that changed and "app-removed"), GET
/// /v1/spaces/{space}/apps/{name}/stream (the app with its instances: "app" whenever it changed, "events" when its
/// timeline grew, "app-removed") and GET /v1/cells/stream (admins: "cells").
/// </summary>
public static class LiveEndpoints
{
    public static RouteGroupBuilder MapSpaceLiveEndpoints(this RouteGroupBuilder space)
    {
        space.MapGet("/stream", (HttpContext context, RequestScope scope, LiveFeeds feeds) =>
            Sse.Stream(context, ct => AppsEvents(feeds, scope.Space.Space.Id, ct))).InSpace(SpaceAction.Read)
            .ServerSentEvents("\"apps\" (every AppResponse of the space) first, then \"app\" (an AppResponse that changed) and \"app-removed\" ({id, name})");
        space.MapGet("/apps/{name}/stream", async (string name, HttpContext context, RequestScope scope, LiveFeeds feeds, Data.PlatformDbContext db, CancellationToken ct) =>
            await Endpoints.Apps.IdAsync(db, scope, name, ct) is null
                ? ApiProblems.AppNotFound(name)
                : Sse.Stream(context, token => AppEvents(feeds, scope.Space.Space.Id, name, token))).InSpace(SpaceAction.Read)
            .ServerSentEvents("\"app\" (the AppDetailResponse) whenever it changed, \"events\" ({latestEvent}) when its timeline grew, \"app-removed\" ({id, name})");
        return space;
    }

    public static RouteGroupBuilder MapCellsLiveEndpoints(this RouteGroupBuilder v1)
    {
        v1.MapGet("/cells/stream", (HttpContext context, LiveFeeds feeds) =>
            Sse.Stream(context, ct => CellsEvents(feeds, ct))).AdminOnly()
            .ServerSentEvents("\"cells\" (every CellResponse) whenever a cell changed");
        return v1;
    }

    /// <summary>The whole list first, then only what changed, app by app (by the JSON of each app).</summary>
    internal static async IAsyncEnumerable<LiveEvent> AppsEvents(LiveFeeds feeds, Guid space, [EnumeratorCancellation] CancellationToken ct)
    {
        Dictionary<Guid, (AppResponse App, string Print)>? before = null;
        await foreach (var apps in feeds.Apps.WatchAsync(space, ct))
        {
            var now = apps.ToDictionary(a => a.Id, a => (a, LiveFeeds.Print(a)));
            if (before is null)
                yield return new LiveEvent("apps", null, apps);
            else
            {
                foreach (var (id, (app, print)) in now)
                    if (!before.TryGetValue(id, out var old) || old.Print != print)
                        yield return new LiveEvent("app", null, app);
                foreach (var (id, (app, _)) in before)
                    if (!now.ContainsKey(id))
                        yield return new LiveEvent("app-removed", null, new AppRemoved(id, app.Name));
            }
            before = now;
        }
    }

    internal static async IAsyncEnumerable<LiveEvent> AppEvents(LiveFeeds feeds, Guid space, string name, [EnumeratorCancellation] CancellationToken ct)
    {
        AppLiveState? before = null;
        await foreach (var state in feeds.App.WatchAsync((space, name), ct))
        {
            if (state.Detail is null)
            {
                if (before?.Detail is { } gone) yield return new LiveEvent("app-removed", null, new AppRemoved(gone.App.Id, name));
                before = state;
                continue;
            }
            // A new app of the same name is a new app: the page starts over with it.
            yield return new LiveEvent("app", null, state.Detail);
            if (before is not null && before.LatestEvent != state.LatestEvent)
                yield return new LiveEvent("events", null, new AppEventsChanged(state.LatestEvent));
            before = state;
        }
    }

    private static async IAsyncEnumerable<LiveEvent> CellsEvents(LiveFeeds feeds, [EnumeratorCancellation] CancellationToken ct)
    {
        await foreach (var cells in feeds.Cells.WatchAsync("cells", ct))
            yield return new LiveEvent("cells", null, cells);
    }
}
