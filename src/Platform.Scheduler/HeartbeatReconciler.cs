using Platform.Contracts.Messages;
using Platform.Data.Entities;

namespace Platform.Scheduler;

/// <summary>What one heartbeat changes about the rows of its cell. Nothing here has happened yet.</summary>
public sealed class HeartbeatPlan
{
    public List<(InstanceEntity Instance, InstanceReport Report)> BecameRunning { get; } = [];
    public List<(InstanceEntity Instance, string Reason, int? ExitCode)> Crashed { get; } = [];
    public List<InstanceEntity> Deletes { get; } = [];
    /// <summary>Instances the cell should not run (unknown to us, known as crashed, or STOPPING for too long).</summary>
    public List<StopInstance> Stops { get; } = [];
    /// <summary>STOPPING rows whose StopInstance is sent again now.</summary>
    public List<InstanceEntity> StopResent { get; } = [];
    /// <summary>Rows whose report in this heartbeat is newer than the last one applied: they take its version.</summary>
    public List<(InstanceEntity Instance, ReportVersion Version)> Seen { get; } = [];
}

/// <summary>
/// Reconciles the full list a cell reports in its heartbeat with our rows, so single state changes that got lost or
/// overtaken are caught up. Reports are ordered by the cell's own versions, never by its clock: a report no newer than
/// what a row already took says nothing new; a row the cell reported before this list was taken, and that is missing
/// from it, ended (crashed if it should run, deleted if it was stopping). A STARTING row the cell has never reported
/// gets a grace period by our clock, since its StartInstance may still be on its way. An instance the cell runs that we
/// do not know, know on another cell, or know as crashed, is stopped.
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
            var alive = report.State is InstanceState.Starting or InstanceState.Running;
            if (!rows.TryGetValue(report.InstanceId, out var row) || row.CellId != heartbeat.CellId)
            {
                // An ended instance the cell still mentions needs nothing more.
                if (alive) plan.Stops.Add(new StopInstance(report.InstanceId, heartbeat.CellId, "not scheduled on this cell"));
                continue;
            }
            if (row.State == InstanceStates.Stopping && alive)
            {
                if (now - row.UpdatedAt >= options.StopResend)
                {
                    plan.Stops.Add(new StopInstance(row.Id, heartbeat.CellId, row.Reason ?? "stopping"));
                    plan.StopResent.Add(row);
                }
                continue;
            }
            // The row already took this report, or a newer one (a state change that overtook this heartbeat).
            if (row.Reported >= report.Version) continue;
            plan.Seen.Add((row, report.Version));
            if (row.State == InstanceStates.Crashed && alive)
            {
                // Given up on (it never reported in time) but running after all: its index has been placed again.
                plan.Stops.Add(new StopInstance(row.Id, heartbeat.CellId, "crashed"));
                continue;
            }
            switch (InstanceTransitions.Decide(row.State, report.State))
            {
                case InstanceTransition.BecameRunning:
                    plan.BecameRunning.Add((row, report));
                    break;
                case InstanceTransition.Crashed:
                    plan.Crashed.Add((row, InstanceTransitions.DescribeCrash(report.State, report.Reason, report.ExitCode), report.ExitCode));
                    break;
                case InstanceTransition.Gone:
                    plan.Deletes.Add(row);
                    break;
            }
        }

        foreach (var row in rows.Values.Where(r => r.CellId == heartbeat.CellId && !reported.Contains(r.Id)))
        {
            // Reported by the cell before this list was taken, and missing from it: gone by then. (Rows from before
            // versions existed have none: any heartbeat is newer.)
            var reportedBefore = row.Reported is not { } v || v < heartbeat.Version;
            switch (row.State)
            {
                case InstanceStates.Starting when row.Reported is null && now - row.UpdatedAt > options.StartGrace:
                    plan.Crashed.Add((row, "never reported by its cell", null));
                    break;
                case InstanceStates.Starting when row.Reported is not null && reportedBefore:
                case InstanceStates.Running when reportedBefore:
                    plan.Crashed.Add((row, "no longer reported by its cell", null));
                    break;
                case InstanceStates.Stopping or InstanceStates.Stopped:
                    plan.Deletes.Add(row);
                    break;
            }
        }
        return plan;
    }
}
