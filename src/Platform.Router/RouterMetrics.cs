using System.Diagnostics.Metrics;

namespace Platform.Router;

/// <summary>Per-route request count and latency, and access lines dropped, on the "Platform.Router" meter.</summary>
public sealed class RouterMetrics : IDisposable
{
    public const string MeterName = "Platform.Router";
    private readonly Meter _meter = new(MeterName);
    private readonly Counter<long> _requests;
    private readonly Histogram<double> _duration;

    public RouterMetrics(AccessLogQueue accessLog)
    {
        _requests = _meter.CreateCounter<long>("platform.router.requests", description: "Requests routed, by host, app and status");
        _duration = _meter.CreateHistogram<double>("platform.router.request.duration", unit: "s", description: "Request latency through the router");
        _meter.CreateObservableCounter("platform.router.access_log.dropped", () => accessLog.Dropped,
            description: "Access lines dropped: the queue was full or shipping them failed");
    }

    /// <param name="host">The matched route's host; null for a request no route knows (tagged "unknown", so
    /// that random Host headers cannot grow the set of tags without bound).</param>
    /// <param name="app">The route's app (its name), likewise.</param>
    public void Record(string? host, string? app, int statusCode, TimeSpan elapsed)
    {
        // Nobody listening (no exporter configured): skip building tags, which would box the status code.
        if (!_requests.Enabled && !_duration.Enabled) return;
        var hostTag = new KeyValuePair<string, object?>("host", host ?? "unknown");
        var appTag = new KeyValuePair<string, object?>("app", app ?? "unknown");
        var statusTag = new KeyValuePair<string, object?>("status", statusCode);
        _requests.Add(1, hostTag, appTag, statusTag);
        _duration.Record(elapsed.TotalSeconds, hostTag, appTag, statusTag);
    }

    public void Dispose() => _meter.Dispose();
}
