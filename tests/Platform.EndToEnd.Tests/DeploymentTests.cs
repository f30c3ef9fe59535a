using System.Net;
using System.Net.Http.Json;
using Platform.Contracts.Api;
using Platform.TestSupport;
using Xunit.Abstractions;

namespace Platform.EndToEnd.Tests;

/// <summary>
/// Deployments as users meet them (issue 9, "Must show"): a 3-instance app behind the real router keeps answering every
/// request while it is pushed with a new version, restarted, rolled back, has a deployment canceled and gets a version
/// whose instances keep crashing; a recreate restart shows the failures that strategy causes; an instance whose http
/// health check starts failing is taken out of the routes and restarted, with the event.
/// </summary>
[Collection(PlatdCollection.Name)]
public sealed class DeploymentTests(PlatdFixture fixture, ITestOutputHelper output) : IDisposable
{
    private const int Connections = 24;
    private PlatdProcess Platd => fixture.Platd;
    private readonly List<DirectoryInfo> _dirs = [];

    public void Dispose()
    {
        foreach (var d in _dirs) d.Delete(recursive: true);
    }

    [Fact]
    public async Task Rolling_deployments_drop_no_request_and_recreate_does()
    {
        using var api = await Platd.ApiClientAsync();
        const string app = "zdt", host = "zdt.apps.localhost";
        var v1 = SiteVersion("v1");
        var v2 = SiteVersion("v2");

        await PlatOkAsync(["push", app, "-p", v1, "-i", "3", "-m", "64M"]);
        await WaitSettledAsync(api, app, 3);
        var all = new List<(string Phase, LoadCounts Counts)>();

        // 1. A push of a new version of a running app: a rolling deployment.
        var counts = await UnderLoadAsync(host, ["v1", "v2"], async load =>
        {
            await PlatOkAsync(["push", app, "-p", v2]);
            await WaitDeploymentAsync(api, app, "DEPLOYED");
            await WaitSettledAsync(api, app, 3);
        });
        Report(all, "push v2 (rolling)", counts);
        Assert.True(counts.OkFrom("v2") > 0, $"no response from v2: {counts}");

        // 2. plat restart: rolling, one instance at a time.
        counts = await UnderLoadAsync(host, ["v2"], async _ =>
        {
            await PlatOkAsync(["restart", app]);
            await WaitDeploymentAsync(api, app, "DEPLOYED");
            await WaitSettledAsync(api, app, 3);
        });
        Report(all, "restart (rolling)", counts);

        // 3. plat rollback --version 1: back to v1, rolling, two at a time.
        counts = await UnderLoadAsync(host, ["v1", "v2"], async _ =>
        {
            await PlatOkAsync(["rollback", app, "--version", "1", "--max-in-flight", "2"]);
            await WaitDeploymentAsync(api, app, "DEPLOYED");
            await WaitSettledAsync(api, app, 3);
        });
        Report(all, "rollback --version 1 --max-in-flight 2", counts);
        var rolledBack = await RevisionOfAllAsync(api, app);
        Assert.True(await OnlyVersionServedAsync(host, "v1"), "after the rollback the router still serves another version than v1");

        // 4. A deployment canceled while it rolls: a revision whose instances take 4 s to start listening (a command
        // change, which makes a revision without deploying it), so it is still rolling when one new instance serves.
        const string slowStart = "sleep 4; exec /layers/busybox/bin/busybox httpd -f -v -p $PORT -h /home/vcap/app";
        var patched = await api.PatchAsJsonAsync($"{TestSpaces.Default}/apps/{app}", new { command = slowStart });
        Assert.True(patched.IsSuccessStatusCode, await patched.Content.ReadAsStringAsync());
        counts = await UnderLoadAsync(host, ["v1", "v2"], async load =>
        {
            var started = await api.PostAsJsonAsync($"{TestSpaces.Default}/apps/{app}/deployments", new DeploymentRequest(null, 1));
            Assert.Equal(HttpStatusCode.Created, started.StatusCode);
            var deployment = (await started.Content.ReadFromJsonAsync<DeploymentResponse>())!;
            await WaitUntilAsync(async () => (await DetailAsync(api, app)).InstanceDetails
                .Any(i => i.State == "RUNNING" && i.Revision == deployment.Revision), "a new instance of the deployment to run");
            await PlatOkAsync(["cancel-deployment", app]);
            await WaitSettledAsync(api, app, 3, rolledBack);
        });
        Report(all, "canceled deployment", counts);
        var deployments = await api.GetFromJsonAsync<List<DeploymentResponse>>($"{TestSpaces.Default}/apps/{app}/deployments");
        Assert.Equal("CANCELED", deployments![0].State);

        // 5. plat restart --strategy recreate: every instance stops at once, with the downtime that strategy accepts.
        var recreate = await UnderLoadAsync(host, ["v1", "v2"], async _ =>
        {
            await PlatOkAsync(["restart", app, "--strategy", "recreate"]);
            await WaitDeploymentAsync(api, app, "DEPLOYED");
            await WaitSettledAsync(api, app, 3);
        });
        output.WriteLine($"restart --strategy recreate: {recreate}");

        // 6. A version whose instances keep crashing: the deployment fails by itself, the old instances keep serving.
        var before = await RevisionOfAllAsync(api, app);
        counts = await UnderLoadAsync(host, ["v1", "v2"], async _ =>
        {
            var push = await Platd.PlatAsync(["push", app, "-p", v2, "-c", "echo crashing on purpose; exit 3"]);
            output.WriteLine(push.ToString());
            Assert.NotEqual(0, push.ExitCode);
            Assert.Contains("failed", push.Stdout + push.Stderr);
            await WaitDeploymentAsync(api, app, "FAILED");
            await WaitSettledAsync(api, app, 3, before);
        });
        Report(all, "crashing version (deployment fails)", counts);
        var failed = (await api.GetFromJsonAsync<List<DeploymentResponse>>($"{TestSpaces.Default}/apps/{app}/deployments"))![0];
        output.WriteLine($"failed deployment: {failed.Reason}");
        Assert.Contains("crashed", failed.Reason);

        output.WriteLine($"{Connections} concurrent connections through the router to {app} (3 instances):");
        foreach (var (phase, c) in all) output.WriteLine($"  {phase,-42} {c}");
        output.WriteLine($"  {"restart --strategy recreate",-42} {recreate}");
        foreach (var (phase, c) in all) Assert.True(c.Failed == 0, $"{phase}: {c}");
        Assert.True(recreate.Failed > 0, $"recreate stopped every instance at once, yet no request failed: {recreate}");

        await PlatOkAsync(["delete", app, "-f"]);
    }

    [Fact]
    public async Task An_instance_whose_health_check_starts_failing_is_taken_out_and_restarted()
    {
        using var api = await Platd.ApiClientAsync();
        const string app = "live", host = "live.apps.localhost";
        await PlatOkAsync(["push", app, "-p", SiteVersion("v1"), "-i", "2", "-m", "64M", "-u", "http", "--endpoint", "/health.txt"]);
        var running = await WaitSettledAsync(api, app, 2);

        LoadCounts counts;
        InstanceResponse broken;
        await using (var load = LoadLoop.Start(Platd.RouterUrl, host, "/version.txt", Connections, "v1"))
        {
            // One instance's health endpoint goes away (its /health.txt is deleted): it keeps serving everything else,
            // so only its liveness check can tell.
            var answer = await GetAsync(host, "/cgi-bin/break");
            Assert.True(answer.Status == HttpStatusCode.OK && answer.Body.Contains("removed"), $"break: {answer.Status} {answer.Body}");
            var guid = Guid.Parse(answer.Body.Split('\n').Single(l => l.StartsWith("guid=", StringComparison.Ordinal))["guid=".Length..].Trim());
            broken = running.Single(i => i.Id == guid);

            var crash = await WaitUntilAsync(async () =>
                (await api.GetFromJsonAsync<List<EventResponse>>($"{TestSpaces.Default}/apps/{app}/events"))!
                    .FirstOrDefault(e => e.Type == "app.crash" && e.Description.Contains($"instance {broken.Index} ", StringComparison.Ordinal)),
                "the app.crash event of the instance whose health check fails");
            output.WriteLine($"event {crash.Type}: {crash.Description}");
            Assert.Contains("health check failed", crash.Description);
            Assert.Contains("/health.txt", crash.Description);

            // Restarted: a new instance at its index, healthy (a fresh container has its /health.txt again).
            var now = await WaitSettledAsync(api, app, 2);
            Assert.DoesNotContain(now, i => i.Id == broken.Id);
            Assert.Contains(now, i => i.Index == broken.Index);
            counts = await load.StopAsync();
        }
        output.WriteLine($"{Connections} connections to {app} while instance {broken.Index} failed its liveness check and was replaced: {counts}");
        // Out of the routes: no request went to the instance once it was taken down.
        Assert.True(counts.Failed == 0, counts.ToString());
        Assert.True(counts.Ok > 0, counts.ToString());
        var health = await GetAsync(host, "/health.txt");
        Assert.Equal(HttpStatusCode.OK, health.Status);

        await PlatOkAsync(["delete", app, "-f"]);
    }

    /// <summary>
    /// A copy of the static site whose /version.txt says <paramref name="version"/>, with /health.txt for an http health
    /// check and /cgi-bin/break, which deletes it (the instance then fails its liveness check, and serves on otherwise).
    /// </summary>
    private string SiteVersion(string version)
    {
        var dir = Directory.CreateTempSubdirectory("e2e-deploy-" + version + "-");
        _dirs.Add(dir);
        var site = Path.Combine(TestEnvironment.RepoRoot, "tests", "Platform.EndToEnd.Tests", "apps", "site");
        File.Copy(Path.Combine(site, "index.html"), Path.Combine(dir.FullName, "index.html"));
        File.WriteAllText(Path.Combine(dir.FullName, "version.txt"), version + "\n");
        File.WriteAllText(Path.Combine(dir.FullName, "health.txt"), "ok\n");
        var cgi = Directory.CreateDirectory(Path.Combine(dir.FullName, "cgi-bin"));
        var info = Path.Combine(cgi.FullName, "info");
        File.Copy(Path.Combine(site, "cgi-bin", "info"), info);
        var @break = Path.Combine(cgi.FullName, "break");
        File.WriteAllText(@break, """
            #!/bin/sh
            echo "Content-Type: text/plain"
            echo
            rm -f /home/vcap/app/health.txt && [ ! -e /home/vcap/app/health.txt ] && echo removed
            echo "guid=$CF_INSTANCE_GUID"

            """);
        var exec = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead
                   | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute;
        File.SetUnixFileMode(info, exec);
        File.SetUnixFileMode(@break, exec);
        return dir.FullName;
    }

    private void Report(List<(string, LoadCounts)> all, string phase, LoadCounts counts)
    {
        output.WriteLine($"{phase}: {counts}");
        all.Add((phase, counts));
    }

    /// <summary>Runs <paramref name="phase"/> while a <see cref="LoadLoop"/> keeps <see cref="Connections"/> requests going, and returns its counts.</summary>
    private async Task<LoadCounts> UnderLoadAsync(string host, string[] versions, Func<LoadLoop, Task> phase)
    {
        await using var load = LoadLoop.Start(Platd.RouterUrl, host, "/version.txt", Connections, versions);
        // Under way before the phase starts: every connection has had answers.
        await WaitUntilAsync(() => Task.FromResult(load.Total >= Connections * 2), "the load loop to get going");
        var watch = System.Diagnostics.Stopwatch.StartNew();
        await phase(load);
        var counts = await load.StopAsync();
        output.WriteLine($"  (phase took {watch.Elapsed.TotalSeconds:0.0} s)"); // printed, not asserted
        return counts;
    }

    private async Task PlatOkAsync(string[] args)
    {
        var result = await Platd.PlatAsync(args);
        Assert.True(result.ExitCode == 0, $"plat {string.Join(' ', args)}: {result}\nplatd log:\n{Platd.Log}");
    }

    private static async Task<AppDetailResponse> DetailAsync(HttpClient api, string app) =>
        (await api.GetFromJsonAsync<AppDetailResponse>($"{TestSpaces.Default}/apps/{app}"))!;

    /// <summary>Waits until the app's newest deployment is in <paramref name="state"/> (DEPLOYED, FAILED...).</summary>
    private Task WaitDeploymentAsync(HttpClient api, string app, string state) =>
        WaitUntilAsync(async () => (await DetailAsync(api, app)).Deployment?.State == state, $"the deployment of {app} to be {state}");

    /// <summary>
    /// Waits until the app runs <paramref name="count"/> instances, all RUNNING, of one revision (<paramref name="revision"/>
    /// when given), and nothing else (no old instance still draining or STOPPING): the whole rollout, drain and SIGTERM
    /// included, happens under the load. (Not "not outdated": that compares with the app's newest revision, which a
    /// canceled or failed deployment leaves newer than what runs.)
    /// </summary>
    private Task<List<InstanceResponse>> WaitSettledAsync(HttpClient api, string app, int count, int? revision = null) =>
        WaitUntilAsync(async () =>
        {
            var instances = (await DetailAsync(api, app)).InstanceDetails;
            return instances.Count == count && instances.All(i => i.State == "RUNNING")
                   && instances.Select(i => i.Revision).Distinct().Count() == 1
                   && (revision is null || instances[0].Revision == revision)
                ? instances.ToList() : null;
        }, $"{app} to run {count} instances{(revision is null ? "" : $" of revision {revision}")} and nothing else");

    private static async Task<int> RevisionOfAllAsync(HttpClient api, string app) =>
        (await DetailAsync(api, app)).InstanceDetails.Select(i => i.Revision ?? -1).Distinct().Single();

    private async Task<bool> OnlyVersionServedAsync(string host, string version)
    {
        for (var i = 0; i < 12; i++)
            if ((await GetAsync(host, "/version.txt")).Body.Trim() != version) return false;
        return true;
    }

    private async Task<(HttpStatusCode Status, string Body)> GetAsync(string host, string path)
    {
        using var http = new HttpClient { BaseAddress = new Uri(Platd.RouterUrl), Timeout = TimeSpan.FromSeconds(10) };
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Host = host;
        using var response = await http.SendAsync(request);
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    private async Task WaitUntilAsync(Func<Task<bool>> condition, string what) =>
        await WaitUntilAsync<object>(async () => await condition() ? true : null, what);

    /// <summary>Polls <paramref name="value"/> until it is not null; a generous deadline turns a hang into a failure with platd's log.</summary>
    private async Task<T> WaitUntilAsync<T>(Func<Task<T?>> value, string what) where T : class
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(120);
        while (DateTime.UtcNow < deadline)
        {
            if (await value() is { } v) return v;
            await Task.Delay(200);
        }
        throw new TimeoutException($"timed out waiting for {what}\nplatd log:\n{Platd.Log}");
    }
}
