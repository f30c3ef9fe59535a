using Platform.Data.Entities;

namespace Platform.Scheduler.Tests;

public sealed class CrashPolicyTests
{
    private readonly CrashPolicy _policy = new();

    [Theory]
    [InlineData(1, 0)]
    [InlineData(2, 0)]
    [InlineData(3, 0)]
    [InlineData(4, 30)]
    [InlineData(5, 60)]
    [InlineData(6, 120)]
    [InlineData(7, 240)]
    [InlineData(8, 480)]
    [InlineData(9, 960)]
    [InlineData(10, 960)]
    [InlineData(200, 960)]
    public void Restarts_at_once_three_times_then_waits_30_s_doubling_up_to_16_minutes(int crashes, int seconds) =>
        Assert.Equal(TimeSpan.FromSeconds(seconds), _policy.RestartDelay(crashes));

    [Fact]
    public void An_instance_that_ran_for_five_minutes_starts_the_count_afresh()
    {
        var app = Rows.App("a");
        var longRunning = Rows.Instance(app, 0, "c1", InstanceStates.Running, crashCount: 7, age: TimeSpan.FromMinutes(5));
        var shortRunning = Rows.Instance(app, 0, "c1", InstanceStates.Running, crashCount: 7, age: TimeSpan.FromMinutes(4));
        var neverRan = Rows.Instance(app, 0, "c1", InstanceStates.Starting, crashCount: 7, age: TimeSpan.FromMinutes(10));

        Assert.Equal(0, _policy.CrashesBefore(longRunning, Rows.Now));
        Assert.Equal(7, _policy.CrashesBefore(shortRunning, Rows.Now));
        Assert.Equal(7, _policy.CrashesBefore(neverRan, Rows.Now));
    }
}
