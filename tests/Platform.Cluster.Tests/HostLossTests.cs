using System.Diagnostics;
using System.Net.Http.Json;
using Xunit.Abstractions;

namespace Platform.Cluster.Tests;

/// <summary>Zones, the loss of a cell host, a partition and a graceful evacuation, each with requests running through the edge router.</summary>
[Collection(ClusterCollection.Name)]
public sealed class HostLossTests(ClusterFixture cluster, ITestOutputHelper output)
{
    [Fact]
    public async Task Four_instances_on_three_cells_in_two_zones_use_both_zones_and_all_answer_through_the_edge_router()
    {
        using var api = await cluster.ApiClientAsync();
        await cluster.WaitForRunningAsync(api, 4);
        var cells = (await ClusterFixture.CellsAsync(api)).ToDictionary(c => c.Id);
        var instances = await ClusterFixture.InstancesAsync(api);
        var zones = instances.Select(i => cells[i.CellId!].Zone).ToList();
        output.WriteLine("placement: " + string.Join(", ", instances.OrderBy(i => i.Index).Select(i => $"#{i.Index} {i.CellId} ({cells[i.CellId!].Zone})")));

        Assert.Equal(["z1", "z2"], zones.Distinct().Order());
        Assert.Equal(["z1", "z1", "z2"], cells.Values.Select(c => c.Zone).Order());
        // Spread over zones first, then cells: two in each zone, no cell left out.
        Assert.Equal(2, zones.Count(z => z == "z1"));
        Assert.Equal(ClusterFixture.Cells, instances.Select(i => i.CellId).Distinct().Count());

        using var router = new HttpClient { BaseAddress = new Uri(cluster.RouterUrl) };
        await cluster.WaitUntilAsync(() => cluster.RouterServesExactlyAsync(router, instances.Select(i => i.Id).ToList()),
            TimeSpan.FromSeconds(30), "the edge router to answer from all four instances");

        var cellsList = await cluster.PlatAsync(["cells"]);
        Assert.True(cellsList.ExitCode == 0, cellsList.ToString());
        foreach (var c in cells.Values) Assert.Contains(c.Id, cellsList.Stdout);
        Assert.Contains("z2", cellsList.Stdout);
        var app = await cluster.PlatAsync(["app", ClusterFixture.App]);
        Assert.True(app.ExitCode == 0, app.ToString());
        foreach (var i in instances) Assert.Contains(i.CellId!, app.Stdout);
    }

    [Fact]
    public async Task Killing_a_cell_host_moves_its_instances_and_only_requests_to_it_fail()
    {
        using var api = await cluster.ApiClientAsync();
        await cluster.WaitForRunningAsync(api, 4);
        var before = await ClusterFixture.InstancesAsync(api);
        var victim = before.GroupBy(i => i.CellId!).OrderByDescending(g => g.Count()).ThenBy(g => g.Key).First().Key;
        var lostIds = before.Where(i => i.CellId == victim).Select(i => i.Id).ToHashSet();
        output.WriteLine($"killing {victim}, which holds {lostIds.Count} of 4 instances");

        var clock = Stopwatch.StartNew();
        using var router = new HttpClient { BaseAddress = new Uri(cluster.RouterUrl) };
        TimeSpan killedAt, recoveredAt;
        IReadOnlyList<Traffic.Result> results;
        await using (var traffic = new Traffic(cluster.RouterUrl, clock))
        {
            await Task.Delay(TimeSpan.FromSeconds(2));
            killedAt = clock.Elapsed;
            await cluster.ClusterOkAsync("kill", victim);
            List<Guid> now = [];
            await cluster.WaitUntilAsync(async () =>
            {
                var all = await ClusterFixture.InstancesAsync(api);
                var running = all.Where(i => i.State == "RUNNING").ToList();
                if (running.Count != 4 || running.Any(i => i.CellId == victim)) return false;
                now = running.Select(i => i.Id).ToList();
                return await cluster.RouterServesExactlyAsync(router, now);
            }, TimeSpan.FromSeconds(90), $"four instances running and routed off {victim}");
            recoveredAt = clock.Elapsed;
            await Task.Delay(TimeSpan.FromSeconds(3)); // and traffic goes on
            results = await traffic.StopAsync();
        }
        var failed = results.Where(r => !r.Ok).ToList();
        var lateFailures = failed.Where(r => r.At > recoveredAt).ToList();
        output.WriteLine($"host loss: all instances running and routed elsewhere {(recoveredAt - killedAt).TotalSeconds:F1} s after kill -9 of {victim} (goal: at most 10 s)");
        output.WriteLine($"requests: {results.Count} made, {failed.Count} failed ({lostIds.Count} of 4 instances were on {victim})");
        foreach (var f in failed.Take(10)) output.WriteLine($"  failed at {f.At.TotalSeconds:F2} s: {f.Detail}");

        Assert.True(lateFailures.Count == 0, $"{lateFailures.Count} requests failed after the instances were routed elsewhere:\n" +
            string.Join("\n", lateFailures.Take(10).Select(f => $"{f.At.TotalSeconds:F2} s {f.Detail}")));
        Assert.True(failed.All(f => f.At >= killedAt), "requests failed before the host was killed");
        Assert.True(results.Count(r => r.Ok) > 100, "too few requests succeeded to tell anything");

        // The host comes back empty-handed: what it ran died with it, and nothing of it is started twice.
        await cluster.ClusterOkAsync("start", victim);
        await cluster.WaitUntilAsync(async () => (await ClusterFixture.CellsAsync(api)).Single(c => c.Id == victim).State == "alive",
            TimeSpan.FromSeconds(60), $"{victim} to send heartbeats again");
        await cluster.WaitForRunningAsync(api, 4, where: i => i.CellId != victim);
    }

    [Fact]
    public async Task Cutting_and_healing_a_cell_host_leaves_every_app_with_its_desired_instances()
    {
        using var api = await cluster.ApiClientAsync();
        await cluster.WaitForRunningAsync(api, 4);
        var before = await ClusterFixture.InstancesAsync(api);
        var victim = before.GroupBy(i => i.CellId!).OrderByDescending(g => g.Count()).ThenBy(g => g.Key).First().Key;
        output.WriteLine($"cutting {victim}, which holds {before.Count(i => i.CellId == victim)} instances");

        var clock = Stopwatch.StartNew();
        await cluster.ClusterOkAsync("cut", victim);
        try
        {
            await cluster.WaitUntilAsync(async () => (await ClusterFixture.CellsAsync(api)).Single(c => c.Id == victim).State == "lost",
                TimeSpan.FromSeconds(60), $"{victim} to be marked lost");
            await cluster.WaitForRunningAsync(api, 4, where: i => i.CellId != victim);
            output.WriteLine($"partition: {victim} lost and its instances running elsewhere after {clock.Elapsed.TotalSeconds:F1} s");
        }
        finally
        {
            await cluster.ClusterOkAsync("heal", victim);
        }
        var healedAt = clock.Elapsed;

        // Back: it heartbeats again and stops what it still runs (the scheduler placed those indices elsewhere).
        await cluster.WaitUntilAsync(async () => (await ClusterFixture.CellsAsync(api)).Single(c => c.Id == victim).State == "alive",
            TimeSpan.FromSeconds(90), $"{victim} to heartbeat again");
        await cluster.WaitUntilAsync(async () =>
        {
            var (_, samples) = PrometheusText.Parse(await ClusterFixture.ScrapeAsync(victim, 7070));
            return samples.Any(s => s.Name == "platform_cell_instances" && s.Value == 0);
        }, TimeSpan.FromSeconds(90), $"{victim} to stop its stale instances");
        output.WriteLine($"healed: {victim} ran no stale instance {(clock.Elapsed - healedAt).TotalSeconds:F1} s after the heal");

        // No app ends with more or fewer instances than desired, and the router serves exactly those.
        foreach (var app in (await api.GetFromJsonAsync<List<Platform.Contracts.Api.AppResponse>>($"{Platform.TestSupport.TestSpaces.Default}/apps"))!)
        {
            if (app.State != "STARTED") continue;
            var instances = await ClusterFixture.InstancesAsync(api, app.Name);
            Assert.Equal(app.Instances, instances.Count(i => i.State == "RUNNING"));
            Assert.Equal(app.Instances, instances.Count(i => i.State is "RUNNING" or "STARTING"));
            Assert.Equal(Enumerable.Range(0, app.Instances), instances.Select(i => i.Index).Order());
        }
        using var router = new HttpClient { BaseAddress = new Uri(cluster.RouterUrl) };
        var ids = (await ClusterFixture.InstancesAsync(api)).Select(i => i.Id).ToList();
        await cluster.WaitUntilAsync(() => cluster.RouterServesExactlyAsync(router, ids), TimeSpan.FromSeconds(30), "the router to serve exactly the four instances");
    }

    [Fact]
    public async Task Evacuating_a_cell_under_traffic_fails_no_request()
    {
        using var api = await cluster.ApiClientAsync();
        await cluster.WaitForRunningAsync(api, 4);
        var before = await ClusterFixture.InstancesAsync(api);
        var victim = before.GroupBy(i => i.CellId!).OrderByDescending(g => g.Count()).ThenBy(g => g.Key).First().Key;
        var moving = before.Count(i => i.CellId == victim);
        output.WriteLine($"evacuating {victim}, which holds {moving} instances");

        var clock = Stopwatch.StartNew();
        IReadOnlyList<Traffic.Result> results;
        TimeSpan evacuated;
        await using (var traffic = new Traffic(cluster.RouterUrl, clock))
        {
            await Task.Delay(TimeSpan.FromSeconds(2));
            var started = clock.Elapsed;
            // A graceful stop (SIGTERM): with Cell:Evacuate the agent exits once its instances run elsewhere.
            await cluster.ClusterOkAsync("stop", victim);
            evacuated = clock.Elapsed - started;
            await cluster.WaitForRunningAsync(api, 4, where: i => i.CellId != victim);
            await Task.Delay(TimeSpan.FromSeconds(2));
            results = await traffic.StopAsync();
        }
        var failed = results.Where(r => !r.Ok).ToList();
        output.WriteLine($"evacuation of {moving} instances from {victim}: {evacuated.TotalSeconds:F1} s; requests: {results.Count} made, {failed.Count} failed");
        Assert.True(failed.Count == 0, $"{failed.Count} requests failed:\n" + string.Join("\n", failed.Take(10).Select(f => $"{f.At.TotalSeconds:F2} s {f.Detail}")));
        Assert.True(results.Count > 100, "too few requests to tell anything");

        var log = await File.ReadAllTextAsync(Path.Combine(cluster.Dir, "hosts", victim, "cell.log"));
        Assert.Contains("evacuated in", log);
        await cluster.ClusterOkAsync("start", victim);
        await cluster.WaitUntilAsync(async () => (await ClusterFixture.CellsAsync(api)).Single(c => c.Id == victim).State == "alive",
            TimeSpan.FromSeconds(60), $"{victim} to be back");
    }
}
