using System.Diagnostics;
using Platform.Sandbox.Monitor;
using Platform.Sandbox.Runtime;

namespace Platform.Sandbox.Tests;

/// <summary>The pidfd + epoll notifier the sandbox uses to learn of a container monitor's end, on real processes.</summary>
public sealed class ProcessExitNotifierTests
{
    private static ProcessExitNotifier Notifier =>
        ProcessExitNotifier.Shared ?? throw new InvalidOperationException("pidfd_open is missing: this kernel is older than 5.3");

    [Fact]
    public async Task Tells_when_a_process_ends_and_not_before()
    {
        using var sleeper = Process.Start(new ProcessStartInfo("sleep", "30") { UseShellExecute = false })!;
        var ended = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Assert.True(Notifier.Watch(sleeper.Id, ProcessExit.StartTime(sleeper.Id), () => ended.TrySetResult()));

        await Task.Delay(300);
        Assert.False(ended.Task.IsCompleted);
        sleeper.Kill();
        await ended.Task.WaitAsync(TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task Tells_of_many_processes_each_once()
    {
        var sleepers = Enumerable.Range(0, 20)
            .Select(i => Process.Start(new ProcessStartInfo("sleep", $"0.{i + 1:00}") { UseShellExecute = false })!).ToList();
        var counts = new int[sleepers.Count];
        var all = new CountdownEvent(sleepers.Count);
        for (var i = 0; i < sleepers.Count; i++)
        {
            var index = i;
            Assert.True(Notifier.Watch(sleepers[i].Id, null, () => { Interlocked.Increment(ref counts[index]); all.Signal(); }));
        }
        Assert.True(await Task.Run(() => all.Wait(TimeSpan.FromSeconds(10))));
        await Task.Delay(100);
        Assert.All(counts, c => Assert.Equal(1, c));
        foreach (var s in sleepers) s.Dispose();
    }

    [Fact]
    public void A_process_already_gone_or_replaced_is_reported_at_once()
    {
        using var done = Process.Start(new ProcessStartInfo("true") { UseShellExecute = false })!;
        done.WaitForExit();
        var called = 0;
        Assert.True(Notifier.Watch(done.Id, null, () => called++));
        Assert.Equal(1, called);

        // Our own pid with a start time it never had: a reused pid, so "that" process is gone.
        Assert.True(Notifier.Watch(Environment.ProcessId, 1, () => called++));
        Assert.Equal(2, called);
    }
}
