namespace Platform.Contracts.Api;

// Bodies of the dashboard's endpoints: browser sessions, cells, metrics history and the live streams (docs/api.md).

/// <summary>
/// A browser session (POST /v1/sessions, GET /v1/sessions/current). The session itself is an HttpOnly cookie that
/// scripts cannot read; <see cref="CsrfToken"/> is what the page sends back in the X-CSRF-Token header on every call
/// that changes something (null when the request was not made with the cookie).
/// </summary>
public sealed record SessionResponse(string Username, bool Admin, string? CsrfToken, DateTimeOffset? ExpiresAt);

/// <summary>One sample of an instance's resource use, as its cell's heartbeat reported it.</summary>
public sealed record InstanceMetricsPoint(
    DateTimeOffset Time, double? CpuPercent, long? MemoryBytes, long? MemoryLimitBytes, long? DiskBytes, long? DiskLimitBytes);

/// <summary>The samples of one instance (by index; a replaced instance is a new series with the same index).</summary>
public sealed record InstanceMetricsSeries(Guid InstanceId, int Index, IReadOnlyList<InstanceMetricsPoint> Points);

/// <summary>
/// What the routers saw of an app in one interval: requests, 5xx answers, and latency (mean and an estimated 95th
/// percentile, from fixed buckets), summed over every router.
/// </summary>
public sealed record RouterMetricsPoint(
    DateTimeOffset Time, double IntervalSeconds, long Requests, long Errors5xx, double? MeanLatencyMs, double? P95LatencyMs)
{
    public double RequestsPerSecond => IntervalSeconds > 0 ? Requests / IntervalSeconds : 0;
    public double ErrorRate => Requests > 0 ? (double)Errors5xx / Requests : 0;
}

/// <summary>GET /v1/spaces/{space}/apps/{name}/metrics?since=...: the app's history, oldest first, bounded (an hour).</summary>
public sealed record AppMetricsResponse(
    Guid AppId, DateTimeOffset Since, IReadOnlyList<InstanceMetricsSeries> Instances, IReadOnlyList<RouterMetricsPoint> Router);

/// <summary>An app that went away, in the live streams (event "app-removed").</summary>
public sealed record AppRemoved(Guid Id, string Name);

/// <summary>The newest event of an app, in its live stream (event "events"): the page reloads the timeline when it changes.</summary>
public sealed record AppEventsChanged(DateTimeOffset? Latest);
