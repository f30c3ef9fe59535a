using System.Diagnostics.Metrics;

namespace Platform.Data.Outbox;

/// <summary>
/// The outbox's lag on the "Platform.Outbox" meter: how long each message waited between its commit and the bus, and
/// how old the oldest message waiting was when the dispatcher last looked.
/// </summary>
public static class OutboxMetrics
{
    public const string MeterName = "Platform.Outbox";
    private static readonly Meter Meter = new(MeterName);
    private static readonly Histogram<double> Delay = Meter.CreateHistogram<double>("platform.outbox.delay", unit: "s",
        description: "Time from a message's commit to its hand-over to the bus");
    private static readonly Counter<long> Failures = Meter.CreateCounter<long>("platform.outbox.failures",
        description: "Hand-overs to the bus that failed (the message is kept and retried)");
    private static double _oldestSeconds;

    static OutboxMetrics()
    {
        Meter.CreateObservableGauge("platform.outbox.lag", () => Volatile.Read(ref _oldestSeconds), unit: "s",
            description: "Age of the oldest message waiting when the dispatcher last looked (0: none waited)");
    }

    public static void Dispatched(TimeSpan waited) => Delay.Record(Math.Max(0, waited.TotalSeconds));
    public static void Failed() => Failures.Add(1);
    public static void Oldest(TimeSpan age) => Volatile.Write(ref _oldestSeconds, Math.Max(0, age.TotalSeconds));
}
