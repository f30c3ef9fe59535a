namespace Platform.Data.Outbox;

/// <summary>Settings of the outbox dispatcher (configuration section "Outbox").</summary>
public sealed class OutboxOptions
{
    public const string Section = "Outbox";

    /// <summary>Run the <see cref="OutboxDispatcher"/> in this process (default true).</summary>
    public bool DispatcherEnabled { get; set; } = true;

    /// <summary>How often to look for messages when no local save woke the dispatcher (other processes write too).</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Messages taken (and row-locked) per transaction.</summary>
    public int BatchSize { get; set; } = 100;

    /// <summary>Back-off after the first failed attempt; doubles with every further failure.</summary>
    public TimeSpan FirstRetryDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>The longest back-off between attempts. A message is retried forever, never dropped.</summary>
    public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromMinutes(1);

    public TimeSpan RetryDelay(int attempts)
    {
        var factor = Math.Pow(2, Math.Clamp(attempts - 1, 0, 30));
        var delay = TimeSpan.FromTicks((long)Math.Min(FirstRetryDelay.Ticks * factor, MaxRetryDelay.Ticks));
        return delay;
    }
}
