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

/// <summary>How an app's rollout stands after this pass: complete when every index runs a current instance and no outdated one is left.</summary>
public sealed record RolloutStatus(AppEntity App, bool Complete);

/// <summary>How a deployment rolls instances over: rolling (new first, at most MaxInFlight indexes at a time) or recreate.</summary>
public sealed record Rollout(bool Recreate, int MaxInFlight)
{
    /// <summary>No deployment in progress: every index is replaced at once, each old instance once its new one runs.</summary>
    public static readonly Rollout Steady = new(false, int.MaxValue);
}

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
    public List<RolloutStatus> Rollouts { get; } = [];

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

    /// <summary>
    /// Whether the instance runs what the app should run now: the target revision of the app's current generation (a
    /// restart makes a new generation) at the app's size. Apps from before revisions compare droplets.
    /// </summary>
    private static bool IsCurrent(InstanceEntity i, AppEntity app) =>
        (app.TargetRevisionId is { } target ? i.RevisionId == target && i.Generation == app.Generation : i.DropletId == app.CurrentDropletId)
        && i.MemoryMb == app.MemoryMb && i.DiskMb == app.DiskMb;

    /// <param name="rollouts">The deployment in progress of each app that has one (others are <see cref="Rollout.Steady"/>).</param>
    public ConvergencePlan Plan(
        IReadOnlyCollection<AppEntity> apps,
        IReadOnlyCollection<InstanceEntity> instances,
        IReadOnlyCollection<CellEntity> cells,
        DateTimeOffset now,
        IReadOnlyDictionary<Guid, Rollout>? rollouts = null)
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
            var rollout = rollouts?.GetValueOrDefault(app.Id) ?? Rollout.Steady;
            var indexes = Enumerable.Range(0, app.Instances).Select(i => (Index: i, Rows: rows.Where(r => r.Index == i).ToList())).ToList();
            // Indexes already being replaced (a current instance starting beside an outdated one) use up the budget.
            var inFlight = indexes.Count(x => x.Rows.Any(r => r.State == InstanceStates.Starting && IsCurrent(r, app))
                                              && x.Rows.Any(r => IsLive(r) && !IsCurrent(r, app)));
            var complete = true;
            foreach (var (index, indexRows) in indexes)
                complete &= ConvergeIndex(plan, app, index, indexRows, loads, evacuating, lostCrashCounts, now, rollout, ref inFlight);
            plan.Rollouts.Add(new RolloutStatus(app, complete));
        }
        return plan;
    }

    private static void StopOrForget(ConvergencePlan plan, InstanceEntity row, string reason)
    {
        if (IsLive(row)) plan.Stops.Add(new PlannedStop(row, reason));
        else if (row.State == InstanceStates.Crashed) plan.Deletes.Add(new PlannedDelete(row, reason));
        // STOPPING: already on its way out; the cell's confirmation removes it.
    }

    /// <summary>Plans one index; true when it runs a current instance and no outdated one (its part of the rollout is done).</summary>
    private bool ConvergeIndex(
        ConvergencePlan plan, AppEntity app, int index, List<InstanceEntity> rows,
        Dictionary<string, CellLoad> loads, HashSet<string> evacuating, Dictionary<(Guid, int), int> lostCrashCounts, DateTimeOffset now,
        Rollout rollout, ref int inFlight)
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

        // Recreate: the old instances go first, all at once (the downtime this strategy accepts).
        // (Not those only on an evacuating cell: they run until their replacement does, whatever the strategy.)
        var evacuated = outdated.Where(r => IsCurrent(r, app)).ToList();
        if (rollout.Recreate)
            foreach (var old in outdated.Except(evacuated)) plan.Stops.Add(new PlannedStop(old, "replaced (recreate)"));

        if (current.Count > 0)
        {
            var keep = current[0];
            foreach (var duplicate in current.Skip(1)) plan.Stops.Add(new PlannedStop(duplicate, "duplicate instance"));
            // Rolling: an old instance goes once its replacement passed its health check (RUNNING); so does one
            // on an evacuating cell.
            if (keep.State == InstanceStates.Running)
                foreach (var old in rollout.Recreate ? evacuated : outdated)
                    plan.Stops.Add(new PlannedStop(old, evacuated.Contains(old)
                        ? $"evacuated from cell {old.CellId}"
                        : "replaced by an updated instance"));
            foreach (var row in crashed) plan.Deletes.Add(new PlannedDelete(row, "replaced"));
            // Done once it serves and nothing outdated is left (old ones stopped now are gone by the next pass).
            return keep.State == InstanceStates.Running && outdated.Count == 0;
        }

        // A replacement of a serving index waits for a free slot of the rollout; a missing index (new, scaled up,
        // crashed) is placed at once.
        var replacing = rollout.Recreate ? evacuated.Count > 0 : outdated.Count > 0;
        if (replacing && inFlight >= rollout.MaxInFlight) return false;

        var crashCount = lostCrashCounts.GetValueOrDefault((app.Id, index));
        if (crashed.Count > 0)
        {
            var last = crashed.OrderByDescending(r => r.UpdatedAt).ThenByDescending(r => r.CrashCount).First();
            var crashesSoFar = last.CrashCount + 1;
            var restartAt = last.UpdatedAt + crashes.RestartDelay(crashesSoFar);
            if (now < restartAt)
            {
                plan.BackingOff.Add(new BackingOff(app, index, crashesSoFar, restartAt));
                return false;
            }
            crashCount = crashesSoFar;
        }

        var candidates = evacuating.Count == 0 ? (IReadOnlyCollection<CellLoad>)loads.Values : loads.Values.Where(l => !evacuating.Contains(l.CellId)).ToList();
        var cell = placement.Choose(candidates, app.Id, app.MemoryMb, app.DiskMb);
        if (cell is null)
        {
            plan.Unplaced.Add(new Unplaced(app, index, placement.WhyUnplaced(candidates, app.MemoryMb, app.DiskMb)));
            return false;
        }
        cell.Add(app.Id, app.MemoryMb, app.DiskMb);
        plan.Starts.Add(new PlannedStart(app, index, cell.CellId, crashCount));
        if (replacing) inFlight++;
        foreach (var row in crashed) plan.Deletes.Add(new PlannedDelete(row, "replaced"));
        return false;
    }
}
