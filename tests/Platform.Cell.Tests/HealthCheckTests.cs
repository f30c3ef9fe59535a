using Platform.Contracts;
using Platform.Contracts.Messages;

namespace Platform.Cell.Tests;

/// <summary>
/// Health checks on a real cell: an instance is RUNNING (and so routed) only once its check passes; afterwards the cell
/// keeps checking, and an instance that fails its check is taken down as crashed with the reason.
/// </summary>
[Collection(CellHarnessCollection.Name)]
public sealed class HealthCheckTests : IAsyncLifetime
{
    private CellHarness _cell = null!;

    public async Task InitializeAsync() => _cell = await CellHarness.CreateAsync(healthCheckTimeoutSeconds: 30, livenessIntervalSeconds: 0.3);
    public async Task DisposeAsync() => await _cell.DisposeAsync();

    /// <summary>Serves /tmp/www; <paramref name="script"/> runs beside the server (e.g. to create or remove /health).</summary>
    private static string Serve(string script) =>
        $"mkdir -p /tmp/www; ({script}) & exec busybox httpd -f -p $PORT -h /tmp/www";

    [Fact]
    public async Task An_http_check_makes_the_instance_running_only_once_its_endpoint_answers()
    {
        // Listens at once, but /health exists only after a second: a port check would pass too early.
        var start = _cell.Start(Serve("sleep 1; echo ok > /tmp/www/health"), healthCheck: new HealthCheck(HealthChecks.Http, "/health"));
        await _cell.Instances.StartAsync(start, CancellationToken.None);
        var running = await _cell.WaitForStateAsync(start.InstanceId, InstanceState.Running);
        using var http = new HttpClient();
        // At the moment it was reported RUNNING the endpoint answered; it still does.
        Assert.Equal("ok\n", await http.GetStringAsync($"http://{running.Address}/health"));
        await _cell.WaitForLogAsync(start.AppId, l => l.Source == "CELL" && l.Text.Contains("http health check passed"));
    }

    [Fact]
    public async Task An_http_check_that_never_passes_fails_the_start_with_what_it_saw()
    {
        var start = _cell.Start(Serve("true"), healthCheck: new HealthCheck(HealthChecks.Http, "/missing", TimeoutSeconds: 2));
        await _cell.Instances.StartAsync(start, CancellationToken.None);
        var crashed = await _cell.WaitForStateAsync(start.InstanceId, InstanceState.Crashed);
        Assert.Equal("health check failed: http health check did not pass within 2 s (GET /missing answered 404)", crashed.Reason);
        Assert.DoesNotContain(_cell.Dispatcher.States(start.InstanceId), s => s.State == InstanceState.Running);
    }

    [Fact]
    public async Task A_running_instance_whose_check_starts_failing_is_taken_down_with_the_reason()
    {
        var start = _cell.Start(Serve("echo ok > /tmp/www/health; sleep 2; rm /tmp/www/health"), healthCheck: new HealthCheck(HealthChecks.Http, "/health"));
        await _cell.Instances.StartAsync(start, CancellationToken.None);
        await _cell.WaitForStateAsync(start.InstanceId, InstanceState.Running);
        var crashed = await _cell.WaitForStateAsync(start.InstanceId, InstanceState.Crashed);
        Assert.Equal("health check failed: GET /health answered 404", crashed.Reason);
        // Reported first (routers drop it), destroyed Cell:UnhealthyDrainSeconds later.
        var container = InstanceManager.ContainerId(start.InstanceId);
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while ((await _cell.Sandbox.ListAsync(CancellationToken.None)).Contains(container) && DateTime.UtcNow < deadline)
            await Task.Delay(100);
        Assert.DoesNotContain(container, await _cell.Sandbox.ListAsync(CancellationToken.None));
    }

    [Fact]
    public async Task A_port_check_takes_down_an_instance_that_stops_listening_and_a_process_check_needs_no_port()
    {
        // Listens for two seconds, then only sleeps: the process lives on, the port does not.
        var deaf = _cell.Start("busybox timeout 2 busybox httpd -f -p $PORT -h /tmp; exec sleep 600");
        var worker = _cell.Start("exec sleep 600", healthCheck: new HealthCheck(HealthChecks.Process));
        await _cell.Instances.StartAsync(deaf, CancellationToken.None);
        await _cell.Instances.StartAsync(worker, CancellationToken.None);
        await _cell.WaitForStateAsync(deaf.InstanceId, InstanceState.Running);
        await _cell.WaitForStateAsync(worker.InstanceId, InstanceState.Running);
        var crashed = await _cell.WaitForStateAsync(deaf.InstanceId, InstanceState.Crashed);
        Assert.StartsWith("health check failed: ", crashed.Reason);
        Assert.Contains("port 8080", crashed.Reason);
        Assert.True(_cell.Instances.IsRunning(worker.InstanceId));
    }
}
