using Platform.Cli.Http;
using Platform.Contracts.Api;

namespace Platform.Cli.Commands;

/// <summary>Streams a build's staging log lines as they arrive until the build is STAGED or FAILED.</summary>
internal static class StagingFollower
{
    /// <param name="afterLogId">The newest log line id seen before the build began, so only new lines print.</param>
    public static async Task<BuildResponse> FollowAsync(
        PlatApiClient api, CliEnvironment env, string name, Guid buildId, long? afterLogId, TimeSpan timeout, CancellationToken ct)
    {
        var deadline = DateTimeOffset.UtcNow + timeout;
        var after = afterLogId;
        while (true)
        {
            // Read the build first, then the logs: lines written before a build ended are then all printed.
            var build = await api.BuildAsync(name, buildId, ct);
            after = await PrintNewLinesAsync(api, env, name, after, ct);
            if (build.State != "STAGING")
                return build;
            if (DateTimeOffset.UtcNow > deadline)
                throw new CliException($"staging of {name} did not finish within {timeout.TotalSeconds:0} s (build {buildId} is still STAGING)");
            await Task.Delay(env.PollInterval, ct);
        }
    }

    private static async Task<long?> PrintNewLinesAsync(PlatApiClient api, CliEnvironment env, string name, long? after, CancellationToken ct)
    {
        while (true)
        {
            var lines = await api.LogsAsync(name, after ?? 0, 1000, ct);
            foreach (var line in lines)
            {
                if (line.Source == "STG")
                    env.Out.WriteLine($"   [{line.Source}/{line.SourceIndex}] {line.Stream} {line.Text}");
                after = line.Id;
            }
            if (lines.Count < 1000) return after;
        }
    }

    /// <summary>The id of the app's newest log line (0 when none).</summary>
    public static async Task<long> LatestLogIdAsync(PlatApiClient api, string name, CancellationToken ct) =>
        (await api.LogsAsync(name, null, 1, ct)).LastOrDefault()?.Id ?? 0;
}
