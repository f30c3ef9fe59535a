using Platform.Contracts.Messages;
using Platform.Data.Entities;

namespace Platform.Scheduler.Tests;

public sealed class HeartbeatReconcilerTests
{
    private readonly HeartbeatReconciler _reconciler = new(new SchedulerOptions { StartGraceSeconds = 60, StopResendSeconds = 30 });
    private readonly AppEntity _app = Rows.App("web", instances: 3);

    /// <summary>A heartbeat taken at version 1.10 of cell c1; rows from <see cref="Rows.Instance"/> were last reported at 1.5.</summary>
    private static CellHeartbeat Heartbeat(params InstanceReport[] reports) =>
        new("c1", "c1.local", 4096, 0, 50, reports, new ReportVersion(1, 10), Rows.Now);

    private static InstanceReport Report(InstanceEntity row, InstanceState state, long sequence = 8, string? reason = null, int? exitCode = null) =>
        new(row.Id, row.AppId, row.Index, state, state == InstanceState.Running ? "10.0.0.2:8080" : null, "c1.local:61001", reason,
            new ReportVersion(1, sequence), exitCode);

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
    public void A_starting_instance_its_cell_never_reported_gets_a_grace_period_before_it_counts_as_gone()
    {
        var young = Rows.Instance(_app, 0, "c1", InstanceStates.Starting, age: TimeSpan.FromSeconds(10), unreported: true);
        var old = Rows.Instance(_app, 1, "c1", InstanceStates.Starting, age: TimeSpan.FromSeconds(61), unreported: true);

        var plan = _reconciler.Reconcile(Heartbeat(), [young, old], Rows.Now);

        var crashed = Assert.Single(plan.Crashed);
        Assert.Equal(old.Id, crashed.Instance.Id);
        Assert.Equal("never reported by its cell", crashed.Reason);
    }

    [Fact]
    public void A_heartbeat_taken_before_the_rows_last_report_does_not_crash_anything_whatever_its_timestamp()
    {
        // The cell reported the instance at 1.12 (a state change that overtook this heartbeat of 1.10 on the bus).
        var row = Rows.Instance(_app, 0, "c1", reported: new ReportVersion(1, 12));
        var starting = Rows.Instance(_app, 1, "c1", InstanceStates.Starting, reported: new ReportVersion(1, 11));

        var plan = _reconciler.Reconcile(Heartbeat() with { Timestamp = Rows.Now.AddHours(1) }, [row, starting], Rows.Now);

        Assert.Empty(plan.Crashed);
        Assert.Empty(plan.Deletes);
    }

    [Fact]
    public void A_heartbeat_of_a_new_agent_epoch_is_newer_than_any_report_of_the_old_one()
    {
        var row = Rows.Instance(_app, 0, "c1", reported: new ReportVersion(1, 1_000_000));
        var plan = _reconciler.Reconcile(Heartbeat() with { Version = new ReportVersion(2, 1) }, [row], Rows.Now);
        Assert.Equal(row.Id, Assert.Single(plan.Crashed).Instance.Id);
    }

    [Fact]
    public void An_instance_that_ended_is_reported_with_how_it_ended()
    {
        var killed = Rows.Instance(_app, 0, "c1");
        var plan = _reconciler.Reconcile(Heartbeat(Report(killed, InstanceState.Crashed, reason: "killed by signal 9", exitCode: 137)), [killed], Rows.Now);

        var crash = Assert.Single(plan.Crashed);
        Assert.Equal((killed.Id, "killed by signal 9 (exit 137)", 137), (crash.Instance.Id, crash.Reason, crash.ExitCode));
        var seen = Assert.Single(plan.Seen);
        Assert.Equal((killed.Id, new ReportVersion(1, 8)), (seen.Instance.Id, seen.Version));
    }

    [Fact]
    public void A_report_the_row_already_took_changes_nothing()
    {
        var crashed = Rows.Instance(_app, 0, "c1", InstanceStates.Crashed, reported: new ReportVersion(1, 8));
        var plan = _reconciler.Reconcile(Heartbeat(Report(crashed, InstanceState.Crashed, sequence: 8, reason: "exited 3")), [crashed], Rows.Now);
        Assert.Empty(plan.Crashed);
        Assert.Empty(plan.Seen);
        Assert.Empty(plan.Stops);
    }

    [Fact]
    public void An_instance_given_up_on_that_runs_after_all_is_stopped()
    {
        var late = Rows.Instance(_app, 0, "c1", InstanceStates.Crashed, unreported: true);
        var plan = _reconciler.Reconcile(Heartbeat(Report(late, InstanceState.Running)), [late], Rows.Now);
        Assert.Equal((late.Id, "c1"), (Assert.Single(plan.Stops).InstanceId, plan.Stops[0].CellId));
        Assert.Empty(plan.BecameRunning);
    }

    [Fact]
    public void An_ended_instance_we_do_not_know_needs_no_stop()
    {
        var gone = Rows.Instance(_app, 0, "c1", InstanceStates.Crashed);
        var plan = _reconciler.Reconcile(Heartbeat(Report(gone, InstanceState.Crashed, reason: "exited 1")), [], Rows.Now);
        Assert.Empty(plan.Stops);
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
