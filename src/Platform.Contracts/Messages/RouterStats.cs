namespace Platform.Contracts.Messages;

/// <summary>
/// Published by every router every few seconds: what it saw of each app it routed to since its last report. The API
/// keeps a bounded history of these for the dashboard's request rate, latency and 5xx charts. <paramref name="Interval"/>
/// is how long the report covers (by the router's own clock).
/// </summary>
public sealed record RouterAppStats(string RouterId, DateTimeOffset Timestamp, TimeSpan Interval, IReadOnlyList<AppRequestStats> Apps);

/// <summary>
/// One app's requests in one report: how many, how many answered 5xx, the sum of their latencies, and how many fell in
/// each latency bucket (<see cref="LatencyBuckets.UpperBoundsMs"/>, the last one open-ended), so percentiles can be
/// estimated after reports of several routers are added up.
/// </summary>
public sealed record AppRequestStats(Guid AppId, long Requests, long Errors5xx, double LatencySumMs, IReadOnlyList<long> LatencyBuckets);

public static class LatencyBuckets
{
    /// <summary>Upper bounds in milliseconds; one more bucket holds everything slower than the last.</summary>
    public static readonly IReadOnlyList<double> UpperBoundsMs = [5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000];

    public static int Count => UpperBoundsMs.Count + 1;

    public static int IndexOf(double ms)
    {
        for (var i = 0; i < UpperBoundsMs.Count; i++)
            if (ms <= UpperBoundsMs[i]) return i;
        return UpperBoundsMs.Count;
    }

    /// <summary>The upper bound of the bucket the quantile falls in (the last bucket: its lower bound), or null with no requests.</summary>
    public static double? Quantile(IReadOnlyList<long> buckets, double q)
    {
        long total = 0;
        foreach (var b in buckets) total += b;
        if (total == 0) return null;
        var rank = Math.Ceiling(q * total);
        long seen = 0;
        for (var i = 0; i < buckets.Count; i++)
        {
            seen += buckets[i];
            if (seen >= rank) return i < UpperBoundsMs.Count ? UpperBoundsMs[i] : UpperBoundsMs[^1];
        }
        return UpperBoundsMs[^1];
    }
}
