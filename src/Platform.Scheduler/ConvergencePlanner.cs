using Platform.Data.Entities;

namespace Platform.Scheduler;

/// <summary>Start a new instance of <paramref name="App"/> at <paramref name="Index"/> on <paramref name="CellId"/>.</summary>
public sealed record PlannedStart(AppEntity App, int Index, string CellId, int CrashCount);

/// <summary>Ask the instance's cell to stop it (the row becomes STOPPING until the cell confirms).</summary>
public sealed record PlannedStop(InstanceEntity Instance, string Reason);

/// <summary>Forget a row that stands for nothing running any more.</summary>
public sealed record PlannedDelete(InstanceEntity Instance, string Reason);

/// <summary>An index that should run but fits on no cell.</summary>
public sealed record Unplaced(AppEntity App, int Index, string Reason);

/// <summary>A crashed index waiting out its back-off.</summary>
public sealed record BackingOff(AppEntity App, int Index, int Crashes, DateTimeOffset RestartAt);

/// <summary>What one convergence pass decided. Nothing here has happened yet.</summary>
public sealed class ConvergencePlan
{
    public List<PlannedStart> Starts { get; } = [];
    public List<PlannedStop> Stops { get; } = [];
    public List<PlannedDelete> Deletes { get; } = [];
    /// <summary>Instances whose cell stopped heartbeating: the rows go, their indices are placed elsewhere.</summary>
    public List<PlannedDelete> Lost { get; } = [];
    public List<Unplaced> Unplaced { get; } = [];
    public List<BackingOff> BackingOff { get; } = [];

    public bool IsEmpty => Starts.Count + Stops.Count + Deletes.Count + Lost.Count == 0;
}

/// <summary>
/// Desired against actual, Diego style, without side effects: for every STARTED app with a droplet,
/// each index 0..Instances-1 needs one live (STARTING or RUNNING) instance of the current droplet, memory
/// and disk. Missing ones are placed (crashed ones after their back-off), surplus and outdated ones
/// stopped, instances on lost cells rescheduled. An outdated instance (old droplet or size) keeps running
/// until its replacement at the same index is RUNNING, so a restage replaces instances without a gap.
/// </summary>
public sealed class ConvergencePlanner(SchedulerOptions options, PlacementPolicy placement, CrashPolicy crashes)
{
    private static bool IsLive(InstanceEntity i) => i.State is InstanceStates.Starting or InstanceStates.Running;

    /// <summary>Rows that still hold memory and a slot on their cell.</summary>
    private static bool HoldsResources(InstanceEntity i) => IsLive(i) || i.State == InstanceStates.Stopping;

    private static bool IsCurrent(InstanceEntity i, AppEntity app) =>
        i.DropletId == app.CurrentDropletId && i.MemoryMb == app.MemoryMb && i.DiskMb == app.DiskMb;

    public ConvergencePlan Plan(
        IReadOnlyCollection<AppEntity> apps,
        IReadOnlyCollection<InstanceEntity> instances,
        IReadOnlyCollection<CellEntity> cells,
        DateTimeOffset now)
    {
        var plan = new ConvergencePlan();
        var loads = cells.Where(c => PlacementPolicy.IsAlive(c, now, options.CellTimeout))
            .ToDictionary(c => c.Id, c => new CellLoad(c), StringComparer.Ordinal);
        // An evacuating cell (Cell:Evacuate, stopping gracefully) keeps what it runs until each instance is RUNNING
        // elsewhere, and takes nothing new.
        var evacuating = cells.Where(c => c.Evacuating && loads.ContainsKey(c.Id)).Select(c => c.Id).ToHashSet(StringComparer.Ordinal);

        // Instances on lost cells: the live ones are rescheduled (their crash count travels with the index:
        // losing a cell is not the app's fault), stopping ones are done with.
        var lostCrashCounts = new Dictionary<(Guid, int), int>();
        var remaining = new List<InstanceEntity>();
        foreach (var instance in instances)
        {
            if (HoldsResources(instance) && !loads.ContainsKey(instance.CellId))
            {
                if (IsLive(instance))
                {
                    plan.Lost.Add(new PlannedDelete(instance, $"cell {instance.CellId} lost"));
                    lostCrashCounts[(instance.AppId, instance.Index)] = instance.CrashCount;
                }
                else
                {
                    plan.Deletes.Add(new PlannedDelete(instance, $"cell {instance.CellId} lost"));
                }
                continue;
            }
            if (instance.State == InstanceStates.Stopped)
            {
                plan.Deletes.Add(new PlannedDelete(instance, "stopped"));
                continue;
            }
            if (HoldsResources(instance)) loads[instance.CellId].Add(instance.AppId, instance.MemoryMb, instance.DiskMb);
            remaining.Add(instance);
        }

        var byApp = remaining.ToLookup(i => i.AppId);
        var appIds = apps.Select(a => a.Id).ToHashSet();
        foreach (var orphan in remaining.Where(i => !appIds.Contains(i.AppId)))
            StopOrForget(plan, orphan, "app deleted");

        foreach (var app in apps.OrderBy(a => a.Name, StringComparer.Ordinal).ThenBy(a => a.Id))
        {
            var rows = byApp[app.Id].ToList();
            if (app.State != AppStates.Started || app.CurrentDropletId is null)
            {
                foreach (var row in rows) StopOrForget(plan, row, "app stopped");
                continue;
            }
            foreach (var row in rows.Where(r => r.Index < 0 || r.Index >= app.Instances))
                StopOrForget(plan, row, "scaled down");
            for (var index = 0; index < app.Instances; index++)
                ConvergeIndex(plan, app, index, rows.Where(r => r.Index == index).ToList(), loads, evacuating, lostCrashCounts, now);
        }
        return plan;
    }

    private static void StopOrForget(ConvergencePlan plan, InstanceEntity row, string reason)
    {
        if (IsLive(row)) plan.Stops.Add(new PlannedStop(row, reason));
        else if (row.State == InstanceStates.Crashed) plan.Deletes.Add(new PlannedDelete(row, reason));
        // STOPPING: already on its way out; the cell's confirmation removes it.
    }

    private void ConvergeIndex(
        ConvergencePlan plan, AppEntity app, int index, List<InstanceEntity> rows,
        Dictionary<string, CellLoad> loads, HashSet<string> evacuating, Dictionary<(Guid, int), int> lostCrashCounts, DateTimeOffset now)
    {
        var live = rows.Where(IsLive).ToList();
        // An instance on an evacuating cell is replaced like an outdated one: it runs until its replacement does.
        var current = live.Where(r => IsCurrent(r, app) && !evacuating.Contains(r.CellId))
            .OrderBy(r => r.State == InstanceStates.Running ? 0 : 1)
            .ThenBy(r => r.CreatedAt)
            .ThenBy(r => r.Id)
            .ToList();
        var outdated = live.Except(current).ToList();
        var crashed = rows.Where(r => r.State == InstanceStates.Crashed).ToList();

        if (current.Count > 0)
        {
            var keep = current[0];
            foreach (var duplicate in current.Skip(1)) plan.Stops.Add(new PlannedStop(duplicate, "duplicate instance"));
            if (keep.State == InstanceStates.Running)
                foreach (var old in outdated)
                    plan.Stops.Add(new PlannedStop(old, evacuating.Contains(old.CellId) && IsCurrent(old, app)
                        ? $"evacuated from cell {old.CellId}"
                        : "replaced by an updated instance"));
            foreach (var row in crashed) plan.Deletes.Add(new PlannedDelete(row, "replaced"));
            return;
        }

        var crashCount = lostCrashCounts.GetValueOrDefault((app.Id, index));
        if (crashed.Count > 0)
        {
            var last = crashed.OrderByDescending(r => r.UpdatedAt).ThenByDescending(r => r.CrashCount).First();
            var crashesSoFar = last.CrashCount + 1;
            var restartAt = last.UpdatedAt + crashes.RestartDelay(crashesSoFar);
            if (now < restartAt)
            {
                plan.BackingOff.Add(new BackingOff(app, index, crashesSoFar, restartAt));
                return;
            }
            crashCount = crashesSoFar;
        }

        var candidates = evacuating.Count == 0 ? (IReadOnlyCollection<CellLoad>)loads.Values : loads.Values.Where(l => !evacuating.Contains(l.CellId)).ToList();
        var cell = placement.Choose(candidates, app.Id, app.MemoryMb, app.DiskMb);
        if (cell is null)
        {
            plan.Unplaced.Add(new Unplaced(app, index, placement.WhyUnplaced(candidates, app.MemoryMb, app.DiskMb)));
            return;
        }
        cell.Add(app.Id, app.MemoryMb, app.DiskMb);
        plan.Starts.Add(new PlannedStart(app, index, cell.CellId, crashCount));
        foreach (var row in crashed) plan.Deletes.Add(new PlannedDelete(row, "replaced"));
    }
}
