using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Platform.Contracts.Messages;
using Platform.Sandbox;

namespace Platform.Cell.Metrics;

/// <summary>
/// Adds each running instance's resource use to the heartbeat's reports: CPU (percent of one core since the previous
/// heartbeat, from the cgroup's CPU time), memory used and limit (its memory cgroup), disk used and limit (its writable
/// layer) and how long its container has run. Walking an upper dir can take a while, so disk use is measured at most every
/// <see cref="DiskInterval"/> per instance.
/// </summary>
public sealed class InstanceMetricsCollector(ISandbox sandbox, TimeProvider time, ILogger<InstanceMetricsCollector> logger)
{
    private readonly ConcurrentDictionary<string, CpuSample> _cpu = new();
    private readonly ConcurrentDictionary<string, DiskSample> _disk = new();

    public TimeSpan DiskInterval { get; init; } = TimeSpan.FromSeconds(10);

    private sealed record CpuSample(TimeSpan Usage, DateTimeOffset At);
    private sealed record DiskSample(long? Used, long? Limit, DateTimeOffset At);

    /// <summary>The reports with metrics for the instances that have a running container.</summary>
    /// <param name="diskLimitMb">The disk limit an instance was started with (for the du case), or null.</param>
    public async Task<IReadOnlyList<InstanceReport>> AttachAsync(
        IReadOnlyList<InstanceReport> reports, Func<Guid, int?> diskLimitMb, CancellationToken cancellationToken)
    {
        // Only the real sandbox exposes cgroups and paths; a stand-in gets reports without metrics.
        if (sandbox is not Sandbox.Sandbox real) return reports;
        var result = new List<InstanceReport>(reports.Count);
        var live = new HashSet<string>();
        foreach (var report in reports)
        {
            var id = InstanceManager.ContainerId(report.InstanceId);
            live.Add(id);
            InstanceMetrics? metrics = null;
            if (report.State is InstanceState.Running or InstanceState.Starting)
            {
                try { metrics = await MeasureAsync(real, id, diskLimitMb(report.InstanceId), cancellationToken); }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException)
                {
                    logger.LogDebug(e, "reading the metrics of {Container} failed", id);
                }
            }
            result.Add(metrics is null ? report : report with { Metrics = metrics });
        }
        // Forget containers that are gone so the dictionaries do not grow with every instance ever run.
        foreach (var gone in _cpu.Keys.Where(k => !live.Contains(k)).ToList()) _cpu.TryRemove(gone, out _);
        foreach (var gone in _disk.Keys.Where(k => !live.Contains(k)).ToList()) _disk.TryRemove(gone, out _);
        return result;
    }

    private async Task<InstanceMetrics?> MeasureAsync(Sandbox.Sandbox real, string id, int? diskLimitMb, CancellationToken cancellationToken)
    {
        var info = await real.InspectAsync(id, cancellationToken);
        if (info is not { Phase: ContainerPhase.Running }) return null;
        var now = time.GetUtcNow();
        var cgroup = real.GetMetrics(id);

        double? cpuPercent = null;
        if (cgroup?.CpuUsage is { } usage)
        {
            // The first sample of an instance is its average since it started; later ones cover the last interval.
            var previous = _cpu.TryGetValue(id, out var p) ? p : new CpuSample(TimeSpan.Zero, info.CreatedAt);
            var wall = now - previous.At;
            if (wall > TimeSpan.Zero && usage >= previous.Usage)
                cpuPercent = Math.Round((usage - previous.Usage).TotalSeconds / wall.TotalSeconds * 100, 2);
            _cpu[id] = new CpuSample(usage, now);
        }

        var paths = real.PathsOf(id);
        if (!_disk.TryGetValue(id, out var disk) || now - disk.At >= DiskInterval)
        {
            var (used, limit) = WritableLayerUsage.Measure(paths.Disk, paths.Upper, Path.GetDirectoryName(paths.Directory)!);
            disk = new DiskSample(used, limit, now);
            _disk[id] = disk;
        }
        var memoryLimit = cgroup?.MemoryLimitBytes is { } l && l < (1L << 60) ? l : (long?)null; // v1 "unlimited" is ~2^63
        return new InstanceMetrics(
            cpuPercent,
            cgroup?.MemoryUsageBytes,
            memoryLimit,
            disk.Used,
            disk.Limit ?? (diskLimitMb is { } mb && mb > 0 ? mb * 1024L * 1024 : null),
            now > info.CreatedAt ? now - info.CreatedAt : TimeSpan.Zero);
    }
}
