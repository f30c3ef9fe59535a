namespace Platform.Isolation.Tests;

/// <summary>Stop is SIGTERM through catatonit, the grace period, then SIGKILL.</summary>
[Collection(IsolationCollection.Name)]
public sealed class StopTests(IsolationFixture fx)
{
    public static TheoryData<string> Runtimes => new() { "runc", "crun" };

    [Theory, MemberData(nameof(Runtimes))]
    public async Task An_app_that_handles_term_exits_cleanly(string runtime)
    {
        var s = fx.For(runtime);
        var id = IsolationFixture.NewId("term");
        var output = new OutputCollector();
        var container = await s.Sandbox.StartAsync(
            fx.Instance(id, "trap 'echo got-term; exit 0' TERM; echo ready; while :; do sleep 0.1; done"), output.Add, CancellationToken.None);
        Assert.Null(await Instances.UntilAsync(() => Task.FromResult(output.Out.Contains("ready"))));
        // A long grace: the clean exit must come from the app, not from the SIGKILL after it.
        await s.Sandbox.DestroyAsync(id, TimeSpan.FromSeconds(60), CancellationToken.None);
        var exit = await container.Exited.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.True(exit.ExitCode == 0, $"{exit}\n{output}");
        Assert.Contains("got-term", output.Out);
    }

    [Theory, MemberData(nameof(Runtimes))]
    public async Task An_app_that_ignores_term_is_killed_after_the_grace_period(string runtime)
    {
        var s = fx.For(runtime);
        var id = IsolationFixture.NewId("noterm");
        var output = new OutputCollector();
        var container = await s.Sandbox.StartAsync(
            fx.Instance(id, "trap '' TERM; echo ready; while :; do sleep 0.1; done"), output.Add, CancellationToken.None);
        Assert.Null(await Instances.UntilAsync(() => Task.FromResult(output.Out.Contains("ready"))));
        await s.Sandbox.DestroyAsync(id, TimeSpan.FromSeconds(2), CancellationToken.None);
        var exit = await container.Exited.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.True(exit.Signal == 9, $"{exit}\n{output}");
    }
}
