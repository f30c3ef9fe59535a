using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Platform.Api.Endpoints;
using Platform.Contracts.Api;
using Platform.Data;

namespace Platform.Api.Live;

/// <summary>One app as its live stream pushes it: the app with its instances (null once deleted) and its newest event.</summary>
public sealed record AppLiveState(AppDetailResponse? Detail, DateTimeOffset? LatestEvent);

/// <summary>The shared polls behind the live streams: a space's apps, one app, the cells.</summary>
public sealed class LiveFeeds
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public LiveFeeds(IServiceScopeFactory scopes, IOptions<ApiOptions> options, TimeProvider time, ILoggerFactory loggers,
        IHostApplicationLifetime lifetime)
    {
        // Polls end when the server stops, whoever still watches.
        var stopping = lifetime.ApplicationStopping;
        var interval = TimeSpan.FromMilliseconds(Math.Max(50, options.Value.LiveIntervalMilliseconds));
        var logger = loggers.CreateLogger<LiveFeeds>();
        Apps = new SharedPoller<Guid, List<AppResponse>>(
            (sp, space, ct) => AppViews.ListAsync(sp.GetRequiredService<PlatformDbContext>(), space, ct),
            Print, interval, scopes, time, logger, stopping);
        App = new SharedPoller<(Guid Space, string Name), AppLiveState>(
            async (sp, key, ct) =>
            {
                var db = sp.GetRequiredService<PlatformDbContext>();
                var detail = await AppViews.DetailAsync(db, key.Space, key.Name, time.GetUtcNow(), ct);
                var latest = detail is null ? null : await db.Events.Where(e => e.AppId == detail.App.Id)
                    .OrderByDescending(e => e.Timestamp).Select(e => (DateTimeOffset?)e.Timestamp).FirstOrDefaultAsync(ct);
                return new AppLiveState(detail, latest);
            },
            // Uptime grows every second by itself: the page counts it; only real changes are pushed.
            s => Print(s with { Detail = s.Detail is null ? null : WithoutUptime(s.Detail) }),
            interval, scopes, time, logger, stopping);
        Cells = new SharedPoller<string, List<CellResponse>>(
            (sp, _, ct) => CellsEndpoints.ReadAsync(sp.GetRequiredService<PlatformDbContext>(), options.Value, time.GetUtcNow(), ct),
            cells => Print(cells.Select(c => c with { SecondsSinceHeartbeat = 0 }).ToList()),
            interval, scopes, time, logger, stopping);
    }

    public SharedPoller<Guid, List<AppResponse>> Apps { get; }
    public SharedPoller<(Guid Space, string Name), AppLiveState> App { get; }
    public SharedPoller<string, List<CellResponse>> Cells { get; }

    public static string Print<T>(T value) => JsonSerializer.Serialize(value, Json);

    private static AppDetailResponse WithoutUptime(AppDetailResponse d) =>
        d with { InstanceDetails = d.InstanceDetails.Select(i => i with { UptimeSeconds = null }).ToList() };
}
