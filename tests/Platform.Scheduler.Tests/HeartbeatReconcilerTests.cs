using Platform.Contracts.Messages;
using Platform.Data.Entities;

namespace Platform.Scheduler.Tests;

public sealed class HeartbeatReconcilerTests
{
    private readonly HeartbeatReconciler _reconciler = new(new SchedulerOptions { StartGraceSeconds = 60, StopResendSeconds = 30 });
    private readonly AppEntity _app = Rows.App("web", instances: 3);

    private static CellHeartbeat Heartbeat(params InstanceReport[] reports) =>
        new("c1", "c1.local", 4096, 0, 50, reports, Rows.Now);

    private static InstanceReport Report(InstanceEntity row, InstanceState state) =>
        new(row.Id, row.AppId, row.Index, state, state == InstanceState.Running ? "10.0.0.2:8080" : null, "c1.local:61001", null);

    [Fact]
    public void An_instance_the_cell_runs_but_we_do_not_know_is_stopped()
    {
        var stranger = Rows.Instance(_app, 0, "c1");
        var elsewhere = Rows.Instance(_app, 1, "c2");

        var plan = _reconciler.Reconcile(Heartbeat(Report(stranger, InstanceState.Running), Report(elsewhere, InstanceState.Running)), [elsewhere], Rows.Now);

        Assert.Equal([stranger.Id, elsewhere.Id], plan.Stops.Select(s => s.InstanceId));
        Assert.All(plan.Stops, s => Assert.Equal("c1", s.CellId));
    }

    [Fact]
    public void A_running_instance_the_cell_no_longer_reports_crashed()
    {
        var row = Rows.Instance(_app, 0, "c1");
        var plan = _reconciler.Reconcile(Heartbeat(), [row], Rows.Now);
        Assert.Equal(row.Id, Assert.Single(plan.Crashed).Instance.Id);
    }

    [Fact]
    public void A_starting_instance_gets_a_grace_period_before_it_counts_as_gone()
    {
        var young = Rows.Instance(_app, 0, "c1", InstanceStates.Starting, age: TimeSpan.FromSeconds(10));
        var old = Rows.Instance(_app, 1, "c1", InstanceStates.Starting, age: TimeSpan.FromSeconds(61));

        var plan = _reconciler.Reconcile(Heartbeat(), [young, old], Rows.Now);

        var crashed = Assert.Single(plan.Crashed);
        Assert.Equal(old.Id, crashed.Instance.Id);
        Assert.Equal("never reported by its cell", crashed.Reason);
    }

    [Fact]
    public void A_heartbeat_older_than_what_we_know_does_not_crash_anything()
    {
        var row = Rows.Instance(_app, 0, "c1", age: TimeSpan.Zero);
        var plan = _reconciler.Reconcile(Heartbeat() with { Timestamp = Rows.Now.AddSeconds(-5) }, [row], Rows.Now);
        Assert.Empty(plan.Crashed);
    }

    [Fact]
    public void Stopping_rows_go_once_the_cell_stopped_them_or_no_longer_reports_them()
    {
        var confirmed = Rows.Instance(_app, 0, "c1", InstanceStates.Stopping);
        var vanished = Rows.Instance(_app, 1, "c1", InstanceStates.Stopping);

        var plan = _reconciler.Reconcile(Heartbeat(Report(confirmed, InstanceState.Stopped)), [confirmed, vanished], Rows.Now);

        Assert.Equal(new[] { confirmed.Id, vanished.Id }.Order(), plan.Deletes.Select(d => d.Id).Order());
        Assert.Empty(plan.Stops);
    }

    [Fact]
    public void A_stop_the_cell_has_not_carried_out_after_a_while_is_sent_again()
    {
        var recent = Rows.Instance(_app, 0, "c1", InstanceStates.Stopping, age: TimeSpan.FromSeconds(5));
        var overdue = Rows.Instance(_app, 1, "c1", InstanceStates.Stopping, age: TimeSpan.FromSeconds(31));

        var plan = _reconciler.Reconcile(Heartbeat(Report(recent, InstanceState.Running), Report(overdue, InstanceState.Running)), [recent, overdue], Rows.Now);

        Assert.Equal(overdue.Id, Assert.Single(plan.Stops).InstanceId);
        Assert.Equal(overdue.Id, Assert.Single(plan.StopResent).Id);
    }

    [Fact]
    public void Reports_catch_up_missed_state_changes_but_never_go_backwards()
    {
        var starting = Rows.Instance(_app, 0, "c1", InstanceStates.Starting);
        var running = Rows.Instance(_app, 1, "c1");
        var crashing = Rows.Instance(_app, 2, "c1");

        var plan = _reconciler.Reconcile(
            Heartbeat(Report(starting, InstanceState.Running), Report(running, InstanceState.Starting), Report(crashing, InstanceState.Crashed)),
            [starting, running, crashing], Rows.Now);

        Assert.Equal(starting.Id, Assert.Single(plan.BecameRunning).Instance.Id);
        Assert.Equal(crashing.Id, Assert.Single(plan.Crashed).Instance.Id);
        Assert.Empty(plan.Deletes);
        Assert.Empty(plan.Stops);
    }
}

public sealed class InstanceTransitionsTests
{
    [Theory]
    [InlineData(InstanceStates.Starting, InstanceState.Running, InstanceTransition.BecameRunning)]
    [InlineData(InstanceStates.Running, InstanceState.Starting, InstanceTransition.None)]
    [InlineData(InstanceStates.Running, InstanceState.Crashed, InstanceTransition.Crashed)]
    [InlineData(InstanceStates.Running, InstanceState.Stopped, InstanceTransition.Crashed)]
    [InlineData(InstanceStates.Stopping, InstanceState.Stopped, InstanceTransition.Gone)]
    [InlineData(InstanceStates.Stopping, InstanceState.Running, InstanceTransition.None)]
    [InlineData(InstanceStates.Crashed, InstanceState.Running, InstanceTransition.None)]
    public void Only_forward_moves_count(string row, InstanceState reported, InstanceTransition expected) =>
        Assert.Equal(expected, InstanceTransitions.Decide(row, reported));

    [Theory]
    [InlineData(null, 137, "exited 137")]
    [InlineData("out of memory", null, "out of memory")]
    [InlineData("out of memory", 137, "out of memory (exit 137)")]
    [InlineData("exited 137", 137, "exited 137")]
    [InlineData(null, null, "crashed")]
    public void A_crash_is_described_by_the_cells_reason_else_its_exit_code(string? reason, int? exitCode, string expected) =>
        Assert.Equal(expected, InstanceTransitions.DescribeCrash(InstanceState.Crashed, reason, exitCode));
}
