using Platform.Cli.Http;
using Platform.Cli.Output;
using Platform.Contracts.Api;

namespace Platform.Cli.Commands;

/// <summary>Waits until every desired instance of an app is RUNNING; a CRASHED instance or the timeout ends the wait with an error.</summary>
internal static class AppWaiter
{
    public static async Task<AppDetailResponse> WaitRunningAsync(
        PlatApiClient api, CliEnvironment env, string name, TimeSpan timeout, CancellationToken ct)
    {
        env.Out.WriteLine($"Waiting for app {name} to start...");
        var deadline = DateTimeOffset.UtcNow + timeout;
        while (true)
        {
            var detail = await api.AppAsync(name, ct);
            var crashed = detail.InstanceDetails.FirstOrDefault(i => i.State == "CRASHED");
            if (crashed is not null)
            {
                env.Err.WriteLine($"Instance #{crashed.Index} crashed: {crashed.Reason ?? "no reason given"}");
                env.Err.WriteLine("Recent logs:");
                foreach (var line in await api.LogsAsync(name, null, 50, ct))
                    env.Err.WriteLine("   " + line.Render());
                throw new CliException($"app {name} failed to start: instance #{crashed.Index} crashed");
            }
            var running = detail.InstanceDetails.Count(i => i.State == "RUNNING");
            if (running >= detail.App.Instances)
                return detail;
            if (DateTimeOffset.UtcNow > deadline)
                throw new CliException(
                    $"app {name} did not start within {timeout.TotalSeconds:0} s: {running} of {detail.App.Instances} instances running (see plat logs {name} --recent)");
            await Task.Delay(env.PollInterval, ct);
        }
    }
}
