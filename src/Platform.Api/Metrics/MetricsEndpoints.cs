using System.Runtime.CompilerServices;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Platform.Contracts.Api;
using Platform.Api.Access;
using Platform.Api.Infrastructure;
using Platform.Api.Live;
using Platform.Data;
using Platform.Api.OpenApi;

namespace Platform.Api.Metrics;

/// <summary>
/// GET /v1/spaces/{space}/apps/{name}/metrics?since=ISO-8601: the app's bounded history (CPU, memory, disk per
/// instance; requests, latency, 5xx from the routers), oldest first; without since, the whole window (an hour).
/// GET .../metrics/stream: the same as Server-Sent Events, "metrics" first with the window, then with the samples
/// newer than the last ones sent, as they arrive.
/// </summary>
public static class MetricsEndpoints
{
    public static RouteGroupBuilder MapMetricsEndpoints(this RouteGroupBuilder space)
    {
        space.MapGet("/apps/{name}/metrics", async (string name, DateTimeOffset? since, RequestScope scope, PlatformDbContext db,
            MetricsHistory history, TimeProvider time, CancellationToken ct) =>
        {
            var appId = await Endpoints.Apps.IdAsync(db, scope, name, ct);
            if (appId is null) return ApiProblems.AppNotFound(name);
            var now = time.GetUtcNow();
            return Results.Ok(history.Read(appId.Value, since ?? now - history.Window, now));
        }).InSpace(SpaceAction.Read).Produces<AppMetricsResponse>();
        space.MapGet("/apps/{name}/metrics/stream", async (string name, HttpContext context, RequestScope scope, PlatformDbContext db,
            MetricsHistory history, TimeProvider time, CancellationToken ct) =>
        {
            var appId = await Endpoints.Apps.IdAsync(db, scope, name, ct);
            if (appId is null) return ApiProblems.AppNotFound(name);
            return Sse.Stream(context, token => Samples(history, appId.Value, time, token));
        }).InSpace(SpaceAction.Read).ServerSentEvents("\"metrics\" with the app's new samples");
        return space;
    }

    private static async IAsyncEnumerable<LiveEvent> Samples(MetricsHistory history, Guid appId, TimeProvider time,
        [EnumeratorCancellation] CancellationToken ct)
    {
        var now = time.GetUtcNow();
        var since = now - history.Window;
        var version = -1L;
        while (!ct.IsCancellationRequested)
        {
            var changed = history.ChangedAsync(ct);
            var current = history.Version(appId);
            if (current != version)
            {
                version = current;
                var page = history.Read(appId, since, time.GetUtcNow());
                var newest = page.Instances.SelectMany(s => s.Points).Select(p => p.Time).Concat(page.Router.Select(r => r.Time))
                    .DefaultIfEmpty(since).Max();
                yield return new LiveEvent("metrics", null, page);
                // A router slot fills over its interval: it is sent again until it is complete.
                since = page.Router.Count > 0 ? Min(newest, page.Router[^1].Time - TimeSpan.FromTicks(1)) : newest;
            }
            try { await changed; }
            catch (OperationCanceledException) { yield break; }
        }
    }

    private static DateTimeOffset Min(DateTimeOffset a, DateTimeOffset b) => a < b ? a : b;
}
