using System.Diagnostics.Metrics;

namespace Platform.Router;

/// <summary>Per-route request count and latency, on the "Platform.Router" meter.</summary>
public sealed class RouterMetrics : IDisposable
{
    public const string MeterName = "Platform.Router";
    private readonly Meter _meter = new(MeterName);
    private readonly Counter<long> _requests;
    private readonly Histogram<double> _duration;

    public RouterMetrics()
    {
        _requests = _meter.CreateCounter<long>("platform.router.requests", description: "Requests routed, by host and status");
        _duration = _meter.CreateHistogram<double>("platform.router.request.duration", unit: "s", description: "Request latency through the router");
    }

    public void Record(string host, int statusCode, TimeSpan elapsed)
    {
        var hostTag = new KeyValuePair<string, object?>("host", host);
        _requests.Add(1, hostTag, new KeyValuePair<string, object?>("status", statusCode));
        _duration.Record(elapsed.TotalSeconds, hostTag);
    }

    public void Dispose() => _meter.Dispose();
}
