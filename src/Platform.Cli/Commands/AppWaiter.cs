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

/// <summary>Follows a deployment until it is DEPLOYED; FAILED, CANCELED or the timeout end the wait with an error.</summary>
internal static class DeploymentWaiter
{
    /// <summary>Starts a deployment of the app (<paramref name="request"/>: strategy, max in flight, revision) and waits for its end.</summary>
    public static async Task<AppDetailResponse> DeployAsync(
        PlatApiClient api, CliEnvironment env, string name, DeploymentRequest request, TimeSpan timeout, CancellationToken ct)
    {
        var deployment = await api.DeployAsync(name, request, ct);
        return await WaitDeployedAsync(api, env, name, deployment.Id, timeout, ct);
    }

    public static async Task<AppDetailResponse> WaitDeployedAsync(
        PlatApiClient api, CliEnvironment env, string name, Guid deploymentId, TimeSpan timeout, CancellationToken ct)
    {
        env.Out.WriteLine($"Waiting for the deployment of {name} (new instances start, then old ones stop once the new are healthy)...");
        var deadline = DateTimeOffset.UtcNow + timeout;
        var reported = new HashSet<Guid>();
        while (true)
        {
            var detail = await api.AppAsync(name, ct);
            foreach (var crashed in detail.InstanceDetails.Where(i => i.State == "CRASHED" && reported.Add(i.Id)))
                env.Err.WriteLine($"Instance #{crashed.Index} crashed: {crashed.Reason ?? "no reason given"}");
            var deployment = detail.Deployment;
            if (deployment is null || deployment.Id != deploymentId)
                throw new CliException($"the deployment of {name} was superseded by another one");
            switch (deployment.State)
            {
                case "DEPLOYED":
                    return detail;
                case "FAILED":
                    throw new CliException($"the deployment of {name} failed: {deployment.Reason}; the previous revision keeps serving");
                case "CANCELED":
                    throw new CliException($"the deployment of {name} was canceled: {deployment.Reason}");
            }
            if (DateTimeOffset.UtcNow > deadline)
            {
                var running = detail.InstanceDetails.Count(i => i.State == "RUNNING" && !i.Outdated);
                throw new CliException($"the deployment of {name} did not finish within {timeout.TotalSeconds:0} s: {running} of {detail.App.Instances} " +
                                       $"new instances running (it goes on; plat cancel-deployment {name} goes back)");
            }
            await Task.Delay(env.PollInterval, ct);
        }
    }
}
