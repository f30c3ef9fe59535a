using Platform.Contracts.Messages;
using Platform.Data.Entities;

namespace Platform.Scheduler;

/// <summary>What one heartbeat changes about the rows of its cell. Nothing here has happened yet.</summary>
public sealed class HeartbeatPlan
{
    public List<(InstanceEntity Instance, InstanceReport Report)> BecameRunning { get; } = [];
    public List<(InstanceEntity Instance, string Reason)> Crashed { get; } = [];
    public List<InstanceEntity> Deletes { get; } = [];
    /// <summary>Instances the cell should not run (unknown to us, or STOPPING for too long).</summary>
    public List<StopInstance> Stops { get; } = [];
    /// <summary>STOPPING rows whose StopInstance is sent again now.</summary>
    public List<InstanceEntity> StopResent { get; } = [];
}

/// <summary>
/// Reconciles the full list a cell reports in its heartbeat with our rows, so single state changes that
/// got lost are caught up: a row the cell no longer runs is gone (crashed if it should run, deleted if
/// it was stopping); a STARTING row gets a grace period, since its StartInstance may still be on its way;
/// an instance the cell runs that we do not know, or know on another cell, is stopped.
/// </summary>
public sealed class HeartbeatReconciler(SchedulerOptions options)
{
    /// <param name="known">Our rows for this cell, plus any row of an instance the heartbeat reports.</param>
    public HeartbeatPlan Reconcile(CellHeartbeat heartbeat, IReadOnlyCollection<InstanceEntity> known, DateTimeOffset now)
    {
        var plan = new HeartbeatPlan();
        var rows = known.ToDictionary(i => i.Id);
        var reported = new HashSet<Guid>();

        foreach (var report in heartbeat.Instances)
        {
            if (!reported.Add(report.InstanceId)) continue;
            if (!rows.TryGetValue(report.InstanceId, out var row) || row.CellId != heartbeat.CellId)
            {
                plan.Stops.Add(new StopInstance(report.InstanceId, heartbeat.CellId, "not scheduled on this cell"));
                continue;
            }
            if (row.State == InstanceStates.Stopping && report.State is InstanceState.Starting or InstanceState.Running)
            {
                if (now - row.UpdatedAt >= options.StopResend)
                {
                    plan.Stops.Add(new StopInstance(row.Id, heartbeat.CellId, row.Reason ?? "stopping"));
                    plan.StopResent.Add(row);
                }
                continue;
            }
            // A heartbeat older than what we know about this row has nothing new to say about it.
            if (heartbeat.Timestamp < row.UpdatedAt) continue;
            switch (InstanceTransitions.Decide(row.State, report.State))
            {
                case InstanceTransition.BecameRunning:
                    plan.BecameRunning.Add((row, report));
                    break;
                case InstanceTransition.Crashed:
                    plan.Crashed.Add((row, InstanceTransitions.DescribeCrash(report.State, report.Reason, null)));
                    break;
                case InstanceTransition.Gone:
                    plan.Deletes.Add(row);
                    break;
            }
        }

        foreach (var row in rows.Values.Where(r => r.CellId == heartbeat.CellId && !reported.Contains(r.Id)))
        {
            switch (row.State)
            {
                case InstanceStates.Starting when now - row.UpdatedAt > options.StartGrace:
                    plan.Crashed.Add((row, "never reported by its cell"));
                    break;
                case InstanceStates.Running when heartbeat.Timestamp > row.UpdatedAt:
                    plan.Crashed.Add((row, "no longer reported by its cell"));
                    break;
                case InstanceStates.Stopping or InstanceStates.Stopped:
                    plan.Deletes.Add(row);
                    break;
            }
        }
        return plan;
    }
}
