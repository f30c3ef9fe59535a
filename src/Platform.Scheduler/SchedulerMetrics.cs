using System.Diagnostics.Metrics;
using Microsoft.EntityFrameworkCore;
using Platform.Data;
using Platform.Data.Entities;

namespace Platform.Scheduler;

/// <summary>
/// The scheduler's figures on the "Platform.Scheduler" meter: whether this process is the active scheduler, how long
/// convergence passes take, and desired against running instances and live, lost and evacuating cells as of the last
/// pass (read by the active scheduler only; a standby reports none).
/// </summary>
public sealed class SchedulerMetrics : IDisposable
{
    public const string MeterName = "Platform.Scheduler";
    private readonly Meter _meter = new(MeterName);
    private readonly Histogram<double> _passDuration;
    private readonly IDbContextFactory<PlatformDbContext> _contexts;
    private readonly SchedulerOptions _options;
    private readonly TimeProvider _time;
    private volatile int _leader;
    private volatile Snapshot? _last;

    private sealed record Snapshot(long Desired, long Running, long Starting, long CellsAlive, long CellsLost, long CellsEvacuating);

    public SchedulerMetrics(IDbContextFactory<PlatformDbContext> contexts, SchedulerOptions options, TimeProvider time)
    {
        _contexts = contexts;
        _options = options;
        _time = time;
        _passDuration = _meter.CreateHistogram<double>("platform.scheduler.convergence.duration", unit: "s",
            description: "Time of one convergence pass of the active scheduler");
        _meter.CreateObservableGauge("platform.scheduler.leader", () => _leader,
            description: "1 while this process is the active scheduler, else 0");
        _meter.CreateObservableGauge<long>("platform.scheduler.instances", () =>
        {
            if (_last is not { } s) return Array.Empty<Measurement<long>>();
            return new Measurement<long>[]
            {
                new Measurement<long>(s.Desired, new KeyValuePair<string, object?>("kind", "desired")),
                new Measurement<long>(s.Running, new KeyValuePair<string, object?>("kind", "running")),
                new Measurement<long>(s.Starting, new KeyValuePair<string, object?>("kind", "starting")),
            };
        }, description: "Instances desired by started apps, and those running and starting, at the last pass");
        _meter.CreateObservableGauge<long>("platform.scheduler.cells", () =>
        {
            if (_last is not { } s) return Array.Empty<Measurement<long>>();
            return new Measurement<long>[]
            {
                new Measurement<long>(s.CellsAlive, new KeyValuePair<string, object?>("state", "alive")),
                new Measurement<long>(s.CellsLost, new KeyValuePair<string, object?>("state", "lost")),
                new Measurement<long>(s.CellsEvacuating, new KeyValuePair<string, object?>("state", "evacuating")),
            };
        }, description: "Cells by state at the last pass");
    }

    public void SetLeader(bool leader)
    {
        _leader = leader ? 1 : 0;
        if (!leader) _last = null;
    }

    /// <summary>Records a pass's duration and reads the instance and cell counts it left.</summary>
    public async Task RecordPassAsync(TimeSpan elapsed, CancellationToken cancellationToken)
    {
        _passDuration.Record(elapsed.TotalSeconds);
        await using var db = await _contexts.CreateDbContextAsync(cancellationToken);
        var desired = await db.Apps.Where(a => a.State == AppStates.Started && a.CurrentDropletId != null)
            .SumAsync(a => (long)a.Instances, cancellationToken);
        var states = await db.Instances.GroupBy(i => i.State).Select(g => new { g.Key, Count = g.LongCount() })
            .ToDictionaryAsync(g => g.Key, g => g.Count, cancellationToken);
        var cells = await db.Cells.AsNoTracking().ToListAsync(cancellationToken);
        var now = _time.GetUtcNow();
        var alive = cells.Where(c => PlacementPolicy.IsAlive(c, now, _options.CellTimeout)).ToList();
        _last = new Snapshot(desired, states.GetValueOrDefault(InstanceStates.Running), states.GetValueOrDefault(InstanceStates.Starting),
            alive.Count, cells.Count - alive.Count, alive.Count(c => c.Evacuating));
    }

    public void Dispose() => _meter.Dispose();
}
