using System.Diagnostics;
using System.Net.Http.Json;
using Npgsql;
using Platform.TestSupport;
using Xunit.Abstractions;

namespace Platform.Cluster.Tests;

/// <summary>Two control hosts with one active scheduler, and the data host's engines restarted under traffic.</summary>
[Collection(ClusterCollection.Name)]
public sealed class ControlPlaneTests(ClusterFixture cluster, ITestOutputHelper output)
{
    [Fact]
    public async Task Killing_the_active_scheduler_hands_over_to_the_other_and_a_scale_after_it_happens()
    {
        string? active = null;
        await cluster.WaitUntilAsync(async () => (active = await ClusterFixture.ActiveSchedulerHostAsync()) is not null,
            TimeSpan.FromSeconds(30), "an active scheduler");
        var standby = active == "ctl" ? "ctl-2" : "ctl";
        var (survivingApi, home) = standby == "ctl" ? (cluster.ApiUrl, cluster.PlatHome) : (cluster.Api2Url, cluster.PlatHome2);
        output.WriteLine($"active scheduler on {active}; killing that host (its api and scheduler too)");

        var clock = Stopwatch.StartNew();
        await cluster.ClusterOkAsync("kill", active!);
        try
        {
            await cluster.WaitUntilAsync(async () => await ClusterFixture.ActiveSchedulerHostAsync() == standby,
                TimeSpan.FromSeconds(30), $"the scheduler on {standby} to take over");
            var takeover = clock.Elapsed;

            // The other API serves the CLI; the scale is converged by the scheduler that took over.
            var scale = await cluster.PlatAsync(["scale", ClusterFixture.App, "-i", "5"], home);
            Assert.True(scale.ExitCode == 0, scale.ToString());
            using var api = await cluster.ApiClientAsync(survivingApi);
            await cluster.WaitForRunningAsync(api, 5);
            output.WriteLine($"takeover: {takeover.TotalSeconds:F1} s after kill -9; scaled to 5 running at {clock.Elapsed.TotalSeconds:F1} s");

            var scaleBack = await cluster.PlatAsync(["scale", ClusterFixture.App, "-i", "4"], home);
            Assert.True(scaleBack.ExitCode == 0, scaleBack.ToString());
            await cluster.WaitForRunningAsync(api, 4);
        }
        finally
        {
            await cluster.ClusterOkAsync("start", active!);
        }
        await cluster.WaitUntilAsync(async () => (await ClusterFixture.ActiveSchedulerHostAsync()) is not null,
            TimeSpan.FromSeconds(30), "an active scheduler after the restart");
    }

    [Theory]
    [InlineData("rabbitmq")]
    [InlineData("postgres")]
    public async Task A_restart_of_an_engine_keeps_instances_serving_and_a_push_after_it_works(string engine)
    {
        using (var api = await cluster.ApiClientAsync()) await cluster.WaitForRunningAsync(api, 4);
        var clock = Stopwatch.StartNew();
        IReadOnlyList<Traffic.Result> results;
        await using (var traffic = new Traffic(cluster.RouterUrl, clock))
        {
            await Task.Delay(TimeSpan.FromSeconds(1));
            await cluster.ClusterOkAsync("restart", engine);
            output.WriteLine($"{engine} restarted in {clock.Elapsed.TotalSeconds:F1} s");
            await Task.Delay(TimeSpan.FromSeconds(2));
            results = await traffic.StopAsync();
        }
        var failed = results.Where(r => !r.Ok).ToList();
        output.WriteLine($"requests during the restart of {engine}: {results.Count} made, {failed.Count} failed");
        Assert.True(failed.Count == 0, $"{failed.Count} requests failed:\n" + string.Join("\n", failed.Take(10).Select(f => $"{f.At.TotalSeconds:F2} s {f.Detail}")));

        // A push after it works end to end: upload, staging over the bus, placement, routing.
        var name = "after-" + engine;
        var dir = ClusterFixture.IdsApp();
        var push = await cluster.PlatAsync(["push", name, "-p", dir, "-m", "32M", "-k", "64M", "-i", "1"]);
        Directory.Delete(dir, recursive: true);
        Assert.True(push.ExitCode == 0, $"push after the {engine} restart failed: {push}\n{cluster.Logs()}");
        using (var api = await cluster.ApiClientAsync())
        {
            await cluster.WaitForRunningAsync(api, 1, name);
            using var router = new HttpClient { BaseAddress = new Uri(cluster.RouterUrl) };
            var id = (await ClusterFixture.InstancesAsync(api, name)).Single().Id;
            await cluster.WaitUntilAsync(() => cluster.RouterServesExactlyAsync(router, [id]), TimeSpan.FromSeconds(30), $"{name} through the router");
            // Nothing stuck: the outbox empties and no message went to an error queue.
            await cluster.WaitUntilAsync(async () => await OutboxCountAsync() == 0, TimeSpan.FromSeconds(30), "the outbox to empty");
            var errors = await ErrorQueueMessagesAsync();
            Assert.True(errors.Count == 0, "messages in error queues: " + string.Join(", ", errors));
            var delete = await cluster.PlatAsync(["delete", name, "-f"]);
            Assert.True(delete.ExitCode == 0, delete.ToString());
        }
    }

    private async Task<long> OutboxCountAsync()
    {
        var env = await cluster.ClusterAsync(["env"]);
        var conn = System.Text.RegularExpressions.Regex.Match(env.Stdout, "CLUSTER_POSTGRES='([^']*)'").Groups[1].Value;
        await using var db = new NpgsqlConnection(conn);
        await db.OpenAsync();
        await using var cmd = new NpgsqlCommand("SELECT count(*) FROM outbox_messages", db);
        return (long)(await cmd.ExecuteScalarAsync())!;
    }

    /// <summary>Queues named *_error or *_skipped that hold messages, as "name: count".</summary>
    private async Task<List<string>> ErrorQueueMessagesAsync()
    {
        var list = await CommandResult.RunAsync("bash", ["-c",
            $"HOME={cluster.Dir}/data/rabbitmq nsenter --net=/run/netns/data /usr/lib/rabbitmq/bin/rabbitmqctl -q -n platcluster@localhost list_queues name messages"]);
        Assert.True(list.ExitCode == 0, list.ToString());
        return list.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => l.Split('\t'))
            .Where(p => p.Length == 2 && (p[0].EndsWith("_error", StringComparison.Ordinal) || p[0].EndsWith("_skipped", StringComparison.Ordinal)) && p[1] != "0")
            .Select(p => $"{p[0]}: {p[1]}").ToList();
    }
}
