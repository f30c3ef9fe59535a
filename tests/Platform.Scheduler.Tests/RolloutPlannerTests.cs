using Platform.Data.Entities;

namespace Platform.Scheduler.Tests;

/// <summary>
/// Deployments in the planner: rolling replaces at most MaxInFlight indexes at a time, each old instance stopped only
/// once its replacement runs (never fewer healthy instances than desired); recreate stops all first; a rollout is
/// complete once every index runs the target and nothing outdated is left.
/// </summary>
public sealed class RolloutPlannerTests
{
    private readonly ConvergencePlanner _planner = new(new SchedulerOptions(), new PlacementPolicy(), new CrashPolicy());
    private static readonly Guid OldRevision = Guid.NewGuid();
    private static readonly Guid NewRevision = Guid.NewGuid();

    /// <summary>An app of three instances whose target is the new revision, generation 2.</summary>
    private static AppEntity App()
    {
        var app = Rows.App("web", instances: 3);
        app.TargetRevisionId = NewRevision;
        app.Generation = 2;
        return app;
    }

    private static InstanceEntity Row(AppEntity app, int index, bool current, string state = InstanceStates.Running)
    {
        var row = Rows.Instance(app, index, "c1", state);
        (row.RevisionId, row.Generation) = current ? (NewRevision, 2) : (OldRevision, 1);
        return row;
    }

    private ConvergencePlan Plan(AppEntity app, Rollout rollout, params InstanceEntity[] rows) =>
        _planner.Plan([app], rows, [Rows.Cell("c1", memoryMb: 16384)], Rows.Now, new Dictionary<Guid, Rollout> { [app.Id] = rollout });

    [Fact]
    public void Rolling_one_at_a_time_starts_one_replacement_and_stops_nothing_yet()
    {
        var app = App();
        var plan = Plan(app, new Rollout(false, 1), Row(app, 0, false), Row(app, 1, false), Row(app, 2, false));
        Assert.Equal([0], plan.Starts.Select(s => s.Index));
        Assert.Empty(plan.Stops);
        Assert.False(Assert.Single(plan.Rollouts).Complete);
    }

    [Fact]
    public void Rolling_waits_while_a_replacement_is_starting_and_moves_on_once_it_runs()
    {
        var app = App();
        var starting = Plan(app, new Rollout(false, 1), Row(app, 0, false), Row(app, 0, true, InstanceStates.Starting), Row(app, 1, false), Row(app, 2, false));
        Assert.Empty(starting.Starts);
        Assert.Empty(starting.Stops);

        var old0 = Row(app, 0, false);
        var running = Plan(app, new Rollout(false, 1), old0, Row(app, 0, true), Row(app, 1, false), Row(app, 2, false));
        Assert.Equal(old0.Id, Assert.Single(running.Stops).Instance.Id); // replaced: it goes now
        Assert.Equal([1], running.Starts.Select(s => s.Index));          // and the next index is replaced
    }

    [Fact]
    public void Rolling_with_more_in_flight_replaces_that_many_at_once()
    {
        var app = App();
        var plan = Plan(app, new Rollout(false, 2), Row(app, 0, false), Row(app, 1, false), Row(app, 2, false));
        Assert.Equal([0, 1], plan.Starts.Select(s => s.Index));
        Assert.Empty(plan.Stops);
    }

    [Fact]
    public void A_missing_index_is_placed_at_once_whatever_the_budget()
    {
        var app = App();
        // Index 2 has nothing (scaled up, or it crashed): it does not wait for the rollout.
        var plan = Plan(app, new Rollout(false, 1), Row(app, 0, false), Row(app, 0, true, InstanceStates.Starting), Row(app, 1, false));
        Assert.Equal([2], plan.Starts.Select(s => s.Index));
    }

    [Fact]
    public void Recreate_stops_every_old_instance_and_starts_every_new_one_at_once()
    {
        var app = App();
        var plan = Plan(app, new Rollout(true, 1), Row(app, 0, false), Row(app, 1, false), Row(app, 2, false));
        Assert.Equal(3, plan.Stops.Count);
        Assert.Equal([0, 1, 2], plan.Starts.Select(s => s.Index));
    }

    [Fact]
    public void A_rollout_is_complete_when_every_index_runs_the_target_and_nothing_old_is_left()
    {
        var app = App();
        Assert.True(Assert.Single(Plan(app, new Rollout(false, 1), Row(app, 0, true), Row(app, 1, true), Row(app, 2, true)).Rollouts).Complete);
        Assert.False(Assert.Single(Plan(app, new Rollout(false, 1), Row(app, 0, true), Row(app, 1, true), Row(app, 2, true, InstanceStates.Starting)).Rollouts).Complete);
        // A STOPPING old instance no longer counts: it is on its way out.
        Assert.True(Assert.Single(Plan(app, new Rollout(false, 1), Row(app, 0, true), Row(app, 0, false, InstanceStates.Stopping),
            Row(app, 1, true), Row(app, 2, true)).Rollouts).Complete);
    }

    [Fact]
    public void A_restart_is_a_new_generation_of_the_same_revision()
    {
        var app = App();
        var sameRevisionOldGeneration = Row(app, 0, true);
        sameRevisionOldGeneration.Generation = 1;
        var plan = Plan(app, new Rollout(false, 1), sameRevisionOldGeneration, Row(app, 1, true), Row(app, 2, true));
        Assert.Equal([0], plan.Starts.Select(s => s.Index));
    }

    [Fact]
    public void Cancelled_back_to_the_previous_revision_the_new_instances_are_the_outdated_ones()
    {
        var app = App();
        (app.TargetRevisionId, app.Generation) = (OldRevision, 1); // as a cancel or a failure leaves it
        var fresh = Row(app, 0, true);
        var plan = Plan(app, new Rollout(false, 1), Row(app, 0, false), fresh, Row(app, 1, false), Row(app, 2, false));
        Assert.Equal(fresh.Id, Assert.Single(plan.Stops).Instance.Id);
        Assert.Empty(plan.Starts);
    }
}
