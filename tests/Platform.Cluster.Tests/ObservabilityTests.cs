using System.Net;
using System.Text.Json;
using Xunit.Abstractions;

namespace Platform.Cluster.Tests;

/// <summary>Every role serves Prometheus metrics, /healthz and /readyz, and logs JSON lines with its role and host.</summary>
[Collection(ClusterCollection.Name)]
public sealed class ObservabilityTests(ClusterFixture cluster, ITestOutputHelper output)
{
    /// <summary>Families each role must export (Prometheus names of the platform's OpenTelemetry instruments).</summary>
    private static readonly Dictionary<string, string[]> Expected = new()
    {
        ["api"] = ["http_server_request_duration_seconds", "platform_outbox_lag_seconds"],
        ["scheduler"] = ["platform_scheduler_leader", "platform_outbox_lag_seconds"],
        ["stager"] = ["platform_staging_duration_seconds"],
        ["router"] = ["platform_router_requests_total", "platform_router_request_duration_seconds"],
        ["cell"] = ["platform_cell_memory_capacity_MBy", "platform_cell_memory_reserved_MBy", "platform_cell_instances"],
    };

    [Fact]
    public async Task Every_role_serves_metrics_as_Prometheus_text_and_answers_healthz_and_readyz()
    {
        // Traffic and a convergence pass first, so the router and the active scheduler have figures to show.
        using var router = new HttpClient { BaseAddress = new Uri(cluster.RouterUrl) };
        for (var i = 0; i < 5; i++) await ClusterFixture.RouterGetAsync(router, "/id");
        var leaderSeen = false;
        foreach (var (host, unit, port) in ClusterFixture.Units())
        {
            string text = "";
            await cluster.WaitUntilAsync(async () =>
            {
                text = await ClusterFixture.ScrapeAsync(host, port);
                var (_, s) = PrometheusText.Parse(text);
                return Expected[unit].All(f => s.Any(x => x.Name == f || x.Name.StartsWith(f + "_", StringComparison.Ordinal)));
            }, TimeSpan.FromSeconds(30), $"the metrics of {unit} on {host}");
            var (types, samples) = PrometheusText.Parse(text);
            output.WriteLine($"{host}/{unit}: {samples.Count} samples in {types.Count} families");
            Assert.NotEmpty(types);
            if (unit == "router")
                Assert.Contains(samples, s => s.Name == "platform_router_requests_total" && s.Labels.GetValueOrDefault("app") == ClusterFixture.App
                                             && s.Labels.GetValueOrDefault("status") == "200");
            if (unit == "scheduler" && samples.Any(s => s.Name == "platform_scheduler_leader" && s.Value == 1))
            {
                leaderSeen = true;
                Assert.Contains(samples, s => s.Name == "platform_scheduler_instances" && s.Labels.GetValueOrDefault("kind") == "desired" && s.Value >= 4);
                Assert.Contains(samples, s => s.Name.StartsWith("platform_scheduler_convergence_duration_seconds", StringComparison.Ordinal));
            }
            if (unit == "cell")
                Assert.Contains(samples, s => s.Name == "platform_cell_memory_capacity_MBy" && s.Labels.GetValueOrDefault("cell") == host && s.Value == 8192);

            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
            var healthz = await http.GetAsync($"http://{ClusterFixture.HostIp(host)}:{port}/healthz");
            Assert.Equal(HttpStatusCode.OK, healthz.StatusCode);
            var readyz = await http.GetAsync($"http://{ClusterFixture.HostIp(host)}:{port}/readyz");
            var body = await readyz.Content.ReadAsStringAsync();
            Assert.True(readyz.StatusCode == HttpStatusCode.OK, $"{host}/{unit} /readyz: {(int)readyz.StatusCode} {body}");
            var checks = JsonDocument.Parse(body).RootElement.GetProperty("checks");
            Assert.True(checks.TryGetProperty("bus", out _), $"{host}/{unit} /readyz does not check the bus: {body}");
            if (unit is "api" or "scheduler") Assert.True(checks.TryGetProperty("postgres", out _), body);
            if (unit is "api" or "stager" or "cell") Assert.True(checks.TryGetProperty("blobstore", out _), body);
        }
        Assert.True(leaderSeen, "no scheduler reported itself active");
    }

    [Fact]
    public async Task Logs_are_json_lines_with_role_and_host()
    {
        foreach (var (host, unit, _) in ClusterFixture.Units())
        {
            var path = Path.Combine(cluster.Dir, "hosts", host, unit + ".log");
            var lines = (await File.ReadAllLinesAsync(path)).Where(l => l.StartsWith('{')).ToList();
            Assert.NotEmpty(lines);
            var parsed = 0;
            foreach (var line in lines.Take(50))
            {
                using var doc = JsonDocument.Parse(line);
                var root = doc.RootElement;
                Assert.True(root.TryGetProperty("@t", out _), line);
                Assert.True(root.TryGetProperty("@m", out _), line);
                Assert.Equal(unit, root.GetProperty("role").GetString());
                Assert.Equal(host, root.GetProperty("host").GetString());
                parsed++;
            }
            output.WriteLine($"{host}/{unit}: {parsed} JSON lines checked");
        }
    }
}
