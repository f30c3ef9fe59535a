namespace Platform.Bus;

/// <summary>Configuration section "Bus".</summary>
public sealed class BusOptions
{
    public const string Section = "Bus";

    /// <summary><see cref="BusTransport.InMemory"/> (default: one process, platd --dev) or <see cref="BusTransport.RabbitMq"/>.</summary>
    public BusTransport Transport { get; set; } = BusTransport.InMemory;

    public RabbitMqOptions RabbitMq { get; set; } = new();

    /// <summary>Waits between the retries of a failed consumer, in milliseconds (then the message goes to the _error queue).</summary>
    public int[] RetryIntervalsMs { get; set; } = [100, 500, 1000, 2000, 5000];
}

public enum BusTransport
{
    InMemory,
    RabbitMq,
}

public sealed class RabbitMqOptions
{
    /// <summary>amqp://user:pass@host:port/vhost (an empty path or "/" is the default vhost "/").</summary>
    public string? Url { get; set; }
}
