using Platform.Data.Entities;

namespace Platform.Scheduler;

/// <summary>
/// When a crashed instance is started again, after Cloud Foundry's policy: the first three crashes of an
/// index restart at once, then the wait is 30 s, doubling with each further crash up to 16 minutes. An
/// instance that ran for 5 minutes before crashing starts the count afresh.
/// </summary>
public sealed class CrashPolicy
{
    public const int ImmediateRestarts = 3;
    public static readonly TimeSpan FirstDelay = TimeSpan.FromSeconds(30);
    public static readonly TimeSpan MaxDelay = TimeSpan.FromMinutes(16);
    public static readonly TimeSpan HealthyRunResetsCount = TimeSpan.FromMinutes(5);

    /// <summary>The wait before restarting an index that has crashed <paramref name="crashes"/> times in a row.</summary>
    public TimeSpan RestartDelay(int crashes)
    {
        if (crashes <= ImmediateRestarts) return TimeSpan.Zero;
        var doublings = Math.Min(crashes - ImmediateRestarts - 1, 16);
        var delay = FirstDelay * Math.Pow(2, doublings);
        return delay < MaxDelay ? delay : MaxDelay;
    }

    /// <summary>
    /// Crashes of this index before <paramref name="instance"/> that still count when it crashes at
    /// <paramref name="crashedAt"/>: none if it had been RUNNING since at least 5 minutes.
    /// </summary>
    public int CrashesBefore(InstanceEntity instance, DateTimeOffset crashedAt) =>
        instance.State == InstanceStates.Running && crashedAt - instance.UpdatedAt >= HealthyRunResetsCount
            ? 0
            : instance.CrashCount;
}
