namespace Platform.Sandbox.Cgroups;

/// <summary>
/// How CPU is shared between containers. As on Cloud Foundry, an app's weight follows its memory: 1024 cgroup v1
/// shares per GiB (one share per MiB), so an app with twice the memory gets twice the CPU when both are busy. A hard
/// quota (CFS bandwidth) is optional on top.
/// </summary>
public static class CpuWeights
{
    public const ulong MinShares = 2;
    /// <summary>The kernel's cpu.shares maximum on cgroup v1.</summary>
    public const ulong MaxShares = 262144;
    public const ulong SharesPerGiB = 1024;

    /// <summary>The CFS period the quota is a fraction of (100 ms, the kernel's default).</summary>
    public const ulong QuotaPeriodMicroseconds = 100_000;

    /// <summary>cpu.shares for a memory limit: 1024 per GiB, clamped to [2, 262144].</summary>
    public static ulong SharesForMemory(long memoryLimitBytes)
    {
        if (memoryLimitBytes <= 0) throw new ArgumentOutOfRangeException(nameof(memoryLimitBytes), "a memory limit is needed to derive a weight");
        var shares = (ulong)(memoryLimitBytes / (1024 * 1024)) * SharesPerGiB / 1024;
        return Math.Clamp(shares, MinShares, MaxShares);
    }

    /// <summary>
    /// The cgroup v2 cpu.weight (1-10000) the OCI runtimes write for v1 shares (2-262144), by the linear mapping runc
    /// and crun share: 1 + ((shares - 2) * 9999) / 262142.
    /// </summary>
    public static ulong WeightForShares(ulong shares)
    {
        shares = Math.Clamp(shares, MinShares, MaxShares);
        return 1 + (shares - 2) * 9999 / 262142;
    }

    /// <summary>The CFS quota in microseconds per <see cref="QuotaPeriodMicroseconds"/> for a percentage of one core.</summary>
    public static long QuotaForPercent(int percent)
    {
        if (percent <= 0) throw new ArgumentOutOfRangeException(nameof(percent), percent, "a CPU quota must be a positive percentage of one core");
        // The kernel refuses quotas under 1 ms.
        return Math.Max(1000, (long)QuotaPeriodMicroseconds * percent / 100);
    }
}
