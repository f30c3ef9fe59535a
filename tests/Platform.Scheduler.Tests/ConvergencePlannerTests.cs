using Platform.Data.Entities;

namespace Platform.Scheduler.Tests;

public sealed class ConvergencePlannerTests
{
    private readonly ConvergencePlanner _planner = new(new SchedulerOptions(), new PlacementPolicy(), new CrashPolicy());

    private ConvergencePlan Plan(AppEntity[] apps, InstanceEntity[] instances, CellEntity[] cells, DateTimeOffset? now = null) =>
        _planner.Plan(apps, instances, cells, now ?? Rows.Now);

    [Fact]
    public void Places_a_missing_instance_on_a_cell_with_room()
    {
        var big = Rows.App("big", memoryMb: 768);
        var app = Rows.App("web", memoryMb: 512);
        var full = Rows.Cell("c1", memoryMb: 1024);
        var roomy = Rows.Cell("c2", memoryMb: 1024);

        var plan = Plan([big, app], [Rows.Instance(big, 0, "c1")], [full, roomy]);

        var start = Assert.Single(plan.Starts);
        Assert.Equal((app.Id, 0, "c2", 0), (start.App.Id, start.Index, start.CellId, start.CrashCount));
        Assert.Empty(plan.Unplaced);
    }

    [Fact]
    public void Spreads_an_app_over_cells_before_filling_the_roomiest()
    {
        var app = Rows.App("web", instances: 4);
        var plan = Plan([app], [], [Rows.Cell("c1", memoryMb: 8192), Rows.Cell("c2", memoryMb: 2048)]);

        Assert.Equal(4, plan.Starts.Count);
        Assert.Equal([0, 1, 2, 3], plan.Starts.Select(s => s.Index));
        Assert.Equal(2, plan.Starts.Count(s => s.CellId == "c1"));
        Assert.Equal(2, plan.Starts.Count(s => s.CellId == "c2"));
    }

    [Fact]
    public void Leaves_an_index_unplaced_when_no_cell_has_room_and_says_why()
    {
        var app = Rows.App("web", instances: 2, memoryMb: 1024);
        var plan = Plan([app], [], [Rows.Cell("c1", memoryMb: 1536)]);

        Assert.Equal(0, Assert.Single(plan.Starts).Index);
        var unplaced = Assert.Single(plan.Unplaced);
        Assert.Equal(1, unplaced.Index);
        Assert.StartsWith("insufficient resources", unplaced.Reason);
        Assert.Contains("memory", unplaced.Reason);
    }

    [Fact]
    public void A_cell_without_free_slots_or_without_heartbeat_gets_nothing()
    {
        var other = Rows.App("other");
        var app = Rows.App("web");
        var plan = Plan([other, app], [Rows.Instance(other, 0, "slots")],
            [Rows.Cell("slots", maxInstances: 1), Rows.Cell("silent", heartbeatAge: TimeSpan.FromMinutes(5))]);

        Assert.Empty(plan.Starts);
        Assert.Contains("instance slots", Assert.Single(plan.Unplaced).Reason);
    }

    [Fact]
    public void Stopping_instances_still_hold_their_memory()
    {
        var old = Rows.App("old", memoryMb: 1024, state: AppStates.Stopped);
        var app = Rows.App("web", memoryMb: 512);
        var plan = Plan([old, app], [Rows.Instance(old, 0, "c1", InstanceStates.Stopping)], [Rows.Cell("c1", memoryMb: 1024)]);

        Assert.Empty(plan.Starts);
        Assert.Single(plan.Unplaced);
    }

    [Fact]
    public void Scaling_down_stops_the_highest_indices()
    {
        var app = Rows.App("web", instances: 1);
        var instances = Enumerable.Range(0, 3).Select(i => Rows.Instance(app, i, "c1")).ToArray();

        var plan = Plan([app], instances, [Rows.Cell("c1")]);

        Assert.Equal([1, 2], plan.Stops.Select(s => s.Instance.Index).Order());
        Assert.All(plan.Stops, s => Assert.Equal("scaled down", s.Reason));
        Assert.Empty(plan.Starts);
    }

    [Fact]
    public void A_stopped_app_has_its_instances_stopped_and_its_crashed_rows_forgotten()
    {
        var app = Rows.App("web", instances: 2, state: AppStates.Stopped);
        var running = Rows.Instance(app, 0, "c1");
        var crashed = Rows.Instance(app, 1, "c1", InstanceStates.Crashed);

        var plan = Plan([app], [running, crashed], [Rows.Cell("c1")]);

        Assert.Equal(running.Id, Assert.Single(plan.Stops).Instance.Id);
        Assert.Equal(crashed.Id, Assert.Single(plan.Deletes).Instance.Id);
        Assert.Empty(plan.Starts);
    }

    [Fact]
    public void Instances_of_a_deleted_app_are_stopped()
    {
        var gone = Rows.App("gone");
        var plan = Plan([], [Rows.Instance(gone, 0, "c1")], [Rows.Cell("c1")]);
        Assert.Equal("app deleted", Assert.Single(plan.Stops).Reason);
    }

    [Fact]
    public void A_crash_is_replaced_at_once_for_the_first_three_crashes()
    {
        var app = Rows.App("web");
        var crashed = Rows.Instance(app, 0, "c1", InstanceStates.Crashed, crashCount: 2, age: TimeSpan.Zero);

        var plan = Plan([app], [crashed], [Rows.Cell("c1")]);

        var start = Assert.Single(plan.Starts);
        Assert.Equal(3, start.CrashCount);
        Assert.Equal(crashed.Id, Assert.Single(plan.Deletes).Instance.Id);
    }

    [Fact]
    public void The_fourth_crash_waits_30_seconds_and_the_fifth_60()
    {
        var app = Rows.App("web");
        var fourth = Rows.Instance(app, 0, "c1", InstanceStates.Crashed, crashCount: 3, age: TimeSpan.Zero);
        var cells = new[] { Rows.Cell("c1") };

        var waiting = Plan([app], [fourth], cells);
        Assert.Empty(waiting.Starts);
        Assert.Empty(waiting.Deletes);
        var backingOff = Assert.Single(waiting.BackingOff);
        Assert.Equal((4, Rows.Now.AddSeconds(30)), (backingOff.Crashes, backingOff.RestartAt));

        cells[0].LastHeartbeat = Rows.Now.AddSeconds(30);
        var restarted = Plan([app], [fourth], cells, Rows.Now.AddSeconds(30));
        Assert.Equal(4, Assert.Single(restarted.Starts).CrashCount);

        var fifth = Rows.Instance(app, 0, "c1", InstanceStates.Crashed, crashCount: 4, age: TimeSpan.Zero);
        Assert.Equal(Rows.Now.AddSeconds(60), Assert.Single(Plan([app], [fifth], cells).BackingOff).RestartAt);
    }

    [Fact]
    public void Instances_on_a_lost_cell_are_rescheduled_elsewhere_with_their_crash_count()
    {
        var app = Rows.App("web", instances: 2);
        var lost = Rows.Instance(app, 0, "dead", crashCount: 1);
        var fine = Rows.Instance(app, 1, "alive");
        var cells = new[] { Rows.Cell("dead", heartbeatAge: TimeSpan.FromSeconds(31)), Rows.Cell("alive") };

        var plan = Plan([app], [lost, fine], cells);

        Assert.Equal(lost.Id, Assert.Single(plan.Lost).Instance.Id);
        var start = Assert.Single(plan.Starts);
        Assert.Equal((0, "alive", 1), (start.Index, start.CellId, start.CrashCount));
        Assert.Empty(plan.Stops);
    }

    [Fact]
    public void A_new_droplet_replaces_an_instance_only_once_the_replacement_runs()
    {
        var app = Rows.App("web", droplet: Rows.Droplet2);
        var old = Rows.Instance(app, 0, "c1", droplet: Rows.Droplet1);
        var cells = new[] { Rows.Cell("c1") };

        var first = Plan([app], [old], cells);
        Assert.Equal(0, Assert.Single(first.Starts).Index);
        Assert.Empty(first.Stops);

        var starting = Rows.Instance(app, 0, "c1", InstanceStates.Starting);
        var second = Plan([app], [old, starting], cells);
        Assert.True(second.IsEmpty);

        starting.State = InstanceStates.Running;
        var third = Plan([app], [old, starting], cells);
        Assert.Equal(old.Id, Assert.Single(third.Stops).Instance.Id);
        Assert.Empty(third.Starts);
    }

    [Fact]
    public void A_converged_app_needs_nothing()
    {
        var app = Rows.App("web", instances: 2);
        var plan = Plan([app], [Rows.Instance(app, 0, "c1"), Rows.Instance(app, 1, "c2", InstanceStates.Starting)], [Rows.Cell("c1"), Rows.Cell("c2")]);
        Assert.True(plan.IsEmpty);
        Assert.Empty(plan.Unplaced);
    }

    [Fact]
    public void Two_live_instances_at_one_index_keep_the_running_one()
    {
        var app = Rows.App("web");
        var running = Rows.Instance(app, 0, "c1");
        var starting = Rows.Instance(app, 0, "c2", InstanceStates.Starting);
        var plan = Plan([app], [starting, running], [Rows.Cell("c1"), Rows.Cell("c2")]);
        Assert.Equal(starting.Id, Assert.Single(plan.Stops).Instance.Id);
    }
}
