using Platform.Contracts.Messages;
using Platform.Data.Entities;

namespace Platform.Scheduler;

/// <summary>
/// Copies the resource use a heartbeat reports onto the instance rows of that cell, so `GET /v1/apps/{name}` can show
/// it without asking the cell. Only live rows of the reporting cell are touched; rows the heartbeat is about to delete
/// are left alone. Metrics are a snapshot, not a state change: they do not move <see cref="InstanceEntity.UpdatedAt"/>
/// (which orders state reports).
/// </summary>
public static class InstanceMetricsRecorder
{
    private static readonly TimeSpan StartedAtTolerance = TimeSpan.FromSeconds(2);

    public static void Apply(CellHeartbeat heartbeat, IEnumerable<InstanceEntity> rows, HeartbeatPlan plan, DateTimeOffset now)
    {
        var deleted = plan.Deletes.Select(r => r.Id).ToHashSet();
        var byId = rows.Where(r => r.CellId == heartbeat.CellId && !deleted.Contains(r.Id)).ToDictionary(r => r.Id);
        foreach (var report in heartbeat.Instances)
        {
            if (report.Metrics is not { } m || !byId.TryGetValue(report.InstanceId, out var row)) continue;
            if (row.State is not (InstanceStates.Starting or InstanceStates.Running)) continue;
            row.CpuPercent = m.CpuPercent is { } cpu && double.IsFinite(cpu) ? Math.Round(Math.Max(cpu, 0), 2) : null;
            row.MemoryBytes = m.MemoryBytes;
            row.MemoryLimitBytes = m.MemoryLimitBytes;
            row.DiskBytes = m.DiskBytes;
            row.DiskLimitBytes = m.DiskLimitBytes;
            // Our clock less the cell's measured uptime; kept while it agrees within a heartbeat's jitter, so it
            // stays put from one heartbeat to the next.
            if (m.Uptime is { } uptime && uptime >= TimeSpan.Zero)
            {
                var started = now - uptime;
                if (row.StartedAt is not { } known || (known - started).Duration() > StartedAtTolerance) row.StartedAt = started;
            }
            else row.StartedAt = null;
            row.MetricsAt = now;
        }
    }
}
