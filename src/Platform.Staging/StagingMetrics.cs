using System.Diagnostics.Metrics;

namespace Platform.Staging;

/// <summary>How long builds take, by outcome and buildpack, on the "Platform.Staging" meter.</summary>
public static class StagingMetrics
{
    public const string MeterName = "Platform.Staging";
    private static readonly Meter Meter = new(MeterName);
    private static readonly Histogram<double> Duration = Meter.CreateHistogram<double>("platform.staging.duration", unit: "s",
        description: "Time from a StageApp taken to its StagingCompleted, by outcome and buildpack");

    public static void Record(TimeSpan elapsed, bool succeeded, string? buildpack) =>
        Duration.Record(elapsed.TotalSeconds,
            new KeyValuePair<string, object?>("outcome", succeeded ? "staged" : "failed"),
            new KeyValuePair<string, object?>("buildpack", buildpack ?? "none"));
}
