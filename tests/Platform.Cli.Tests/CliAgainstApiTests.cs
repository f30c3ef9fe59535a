using System.Net.Http.Json;
using System.Text.Json;
using MassTransit.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Platform.Api.Tests;
using Platform.Contracts.Api;
using Platform.Contracts.Messages;
using Platform.Data.Entities;

namespace Platform.Cli.Tests;

/// <summary>
/// The CLI's real entry point against the real API (in-process on 127.0.0.1, real PostgreSQL). There is no
/// stager or scheduler here, so the test plays them: it answers the StageApp with staging log lines and a
/// StagingCompleted through the API's own bus consumers, and marks instances RUNNING or CRASHED in the
/// database the way the scheduler would after a cell's report.
/// </summary>
public sealed class CliAgainstApiTests : IAsyncLifetime
{
    private ApiHost _api = null!;
    private CliRun _cli = null!;

    public async Task InitializeAsync()
    {
        _api = await ApiHost.StartAsync(new Dictionary<string, string?> { ["Api:AppsDomain"] = "apps.test" });
        _cli = new CliRun(variables: new Dictionary<string, string> { ["PLAT_PASSWORD"] = _api.AdminPassword });
        var login = await _cli.RunAsync("login", "-a", _api.Url, "-u", "admin");
        Assert.True(login.ExitCode == 0, login.ToString());
    }

    public async Task DisposeAsync() => await _api.DisposeAsync();

    private static string AppDir()
    {
        var dir = Directory.CreateTempSubdirectory("plat-app-").FullName;
        File.WriteAllText(Path.Combine(dir, "index.html"), "<h1>hello</h1>");
        Directory.CreateDirectory(Path.Combine(dir, "assets"));
        File.WriteAllText(Path.Combine(dir, "assets", "a.css"), "body{}");
        File.CreateSymbolicLink(Path.Combine(dir, "home.html"), "index.html");
        return dir;
    }

    /// <summary>Plays the stager: waits for the app's build, streams two log lines, then completes it.</summary>
    private Task FakeStagerAsync(string appName, bool succeed)
    {
        var harness = _api.Services.GetRequiredService<ITestHarness>();
        return Task.Run(async () =>
        {
            BuildEntity? build = null;
            var deadline = DateTime.UtcNow.AddSeconds(60);
            while (build is null && DateTime.UtcNow < deadline)
            {
                await using var db = _api.Db();
                build = await (from b in db.Builds join a in db.Apps on b.AppId equals a.Id
                               where a.Name == appName && b.State == BuildStates.Staging select b).FirstOrDefaultAsync();
                if (build is null) await Task.Delay(50);
            }
            if (build is null) throw new TimeoutException($"no build of {appName} appeared");
            await harness.Bus.Publish(new StagingLog(build.Id, build.AppId, "-----> Fake buildpack detected", DateTimeOffset.UtcNow));
            await harness.Bus.Publish(new StagingLog(build.Id, build.AppId, "-----> Copying files", DateTimeOffset.UtcNow));
            // Let the log lines land first, as a real stager's would before it finishes.
            await Eventually.HoldsAsync(async () =>
            {
                await using var db = _api.Db();
                return await db.LogLines.CountAsync(l => l.AppId == build.AppId && l.Source == "STG") >= 2;
            }, "staging log lines stored");
            await harness.Bus.Publish(succeed
                ? new StagingCompleted(build.Id, build.AppId, true, null, "staticfile",
                    new DropletSpec([new LayerRef("sha256:" + new string('c', 64), 1, "app")], "httpd"))
                : new StagingCompleted(build.Id, build.AppId, false, "no buildpack detected the app", null, null));
        });
    }

    /// <summary>Plays the scheduler and cell: puts instance rows for the app in the given state.</summary>
    private async Task SetInstancesAsync(string appName, int count, string state, string? reason = null)
    {
        await using var db = _api.Db();
        var app = await db.Apps.SingleAsync(a => a.Name == appName);
        db.Instances.RemoveRange(db.Instances.Where(i => i.AppId == app.Id));
        for (var i = 0; i < count; i++)
            db.Instances.Add(new InstanceEntity
            {
                Id = Guid.NewGuid(), AppId = app.Id, Index = i, CellId = "cell-1", DropletId = app.CurrentDropletId ?? Guid.Empty,
                State = state, Address = $"10.0.0.{i + 2}:8080", Reason = reason, CreatedAt = DateTimeOffset.UtcNow, UpdatedAt = DateTimeOffset.UtcNow,
            });
        await db.SaveChangesAsync();
    }

    [Fact]
    public async Task Logs_follow_the_stream_as_lines_arrive_until_cancelled()
    {
        using var admin = await _api.AdminClientAsync();
        var created = await admin.PostAsJsonAsync(Platform.TestSupport.TestSpaces.Default + "/apps", new AppRequest("tail"));
        var appId = (await created.Content.ReadFromJsonAsync<AppResponse>())!.Id;
        var harness = _api.Services.GetRequiredService<ITestHarness>();
        await harness.Bus.Publish(new LogBatch(appId, [new LogEntry(DateTimeOffset.UtcNow, "APP/PROC/WEB", 0, "OUT", "before following")]));
        await Eventually.HoldsAsync(async () => { await using var db = _api.Db(); return await db.LogLines.AnyAsync(l => l.AppId == appId); }, "the first line");

        using var cts = new CancellationTokenSource();
        var output = new StringWriter();
        var follow = _cli.RunAsync(["logs", "tail"], output, cts.Token);
        await Eventually.HoldsAsync(() => Task.FromResult(output.ToString().Contains("before following")), "the recent line");
        await harness.Bus.Publish(new LogBatch(appId, [new LogEntry(DateTimeOffset.UtcNow, "APP/PROC/WEB", 1, "ERR", "while following")]));
        await Eventually.HoldsAsync(() => Task.FromResult(output.ToString().Contains("[APP/PROC/WEB/1] ERR while following")), "the new line, pushed");
        cts.Cancel();
        var result = await follow;
        Assert.Equal(0, result.ExitCode);
        Assert.Single(System.Text.RegularExpressions.Regex.Matches(result.Out, "before following"));

        var unknown = await _cli.RunAsync("logs", "no-such-app");
        Assert.Equal(1, unknown.ExitCode);
        Assert.Contains("not found", unknown.Err);
    }

    [Fact]
    public async Task Security_groups_are_created_from_a_rules_file_bound_shown_updated_and_deleted()
    {
        var dir = Directory.CreateTempSubdirectory("plat-asg-").FullName;
        var rules = Path.Combine(dir, "rules.json");
        File.WriteAllText(rules, """[{"protocol":"tcp","destination":"10.0.0.0/8","ports":"5432","description":"database"}]""");

        var created = await _cli.RunAsync("create-security-group", "platform-db", rules);
        Assert.True(created.ExitCode == 0, created.ToString());
        Assert.Contains("Created security group platform-db with 1 rule(s)", created.Out);
        var bound = await _cli.RunAsync("bind-security-group", "platform-db", "default", "dev");
        Assert.True(bound.ExitCode == 0, bound.ToString());
        Assert.Contains("Bound security group platform-db to space default/dev", bound.Out);
        Assert.Contains("restart apps to apply", bound.Out);

        var list = await _cli.RunAsync("security-groups");
        Assert.True(list.ExitCode == 0, list.ToString());
        Assert.Contains("platform-db", list.Out);
        Assert.Contains("default/dev", list.Out);
        var show = await _cli.RunAsync("security-group", "platform-db");
        Assert.Contains("\"destination\": \"10.0.0.0/8\"", show.Out);
        Assert.Contains("dev", show.Out);
        var space = await _cli.RunAsync("space-security-groups");
        Assert.True(space.ExitCode == 0, space.ToString());
        Assert.Contains("10.0.0.0/8", space.Out);
        Assert.Contains("5432", space.Out);

        File.WriteAllText(rules, """[{"protocol":"udp","destination":"10.0.0.2","ports":"53"},{"protocol":"icmp","destination":"10.0.0.0/8","type":8}]""");
        var updated = await _cli.RunAsync("update-security-group", "platform-db", rules);
        Assert.True(updated.ExitCode == 0, updated.ToString());
        Assert.Contains("type 8", (await _cli.RunAsync("space-security-groups")).Out);
        Assert.Equal(0, (await _cli.RunAsync("bind-running-security-group", "platform-db")).ExitCode);
        Assert.Contains("platform-db", (await _cli.RunAsync("running-security-groups")).Out);
        Assert.Equal(0, (await _cli.RunAsync("unbind-running-security-group", "platform-db")).ExitCode);
        Assert.Equal(0, (await _cli.RunAsync("unbind-security-group", "platform-db", "default", "dev")).ExitCode);
        Assert.Contains("No security groups apply", (await _cli.RunAsync("space-security-groups")).Out);

        var again = await _cli.RunAsync("unbind-security-group", "platform-db", "default", "dev");
        Assert.Equal(1, again.ExitCode);
        Assert.Contains("is not bound to space default/dev", again.Err);
        var duplicate = await _cli.RunAsync("create-security-group", "platform-db", rules);
        Assert.Equal(1, duplicate.ExitCode);
        Assert.Contains("exists already", duplicate.Err);
        Assert.Equal(0, (await _cli.RunAsync("delete-security-group", "platform-db", "-f")).ExitCode);
        var gone = await _cli.RunAsync("security-group", "platform-db");
        Assert.Equal(1, gone.ExitCode);
        Assert.Contains("'platform-db' not found", gone.Err);
    }

    [Fact]
    public async Task Cells_lists_each_cell_with_what_it_holds()
    {
        var none = await _cli.RunAsync("cells");
        Assert.Equal(0, none.ExitCode);
        await using (var db = _api.Db())
        {
            db.Cells.Add(new CellEntity { Id = "cell-a", Host = "10.0.0.7", MemoryCapacityMb = 8192, DiskCapacityMb = 0, MaxInstances = 0, LastHeartbeat = DateTimeOffset.UtcNow });
            db.Instances.Add(new InstanceEntity { Id = Guid.NewGuid(), AppId = Guid.NewGuid(), CellId = "cell-a", State = InstanceStates.Running, MemoryMb = 512, DiskMb = 1024, CreatedAt = DateTimeOffset.UtcNow, UpdatedAt = DateTimeOffset.UtcNow });
            await db.SaveChangesAsync();
        }
        var cells = await _cli.RunAsync("cells");
        Assert.True(cells.ExitCode == 0, cells.ToString());
        Assert.Contains("cell-a", cells.Out);
        Assert.Contains("alive", cells.Out);
        Assert.Contains("512M of 8G", cells.Out);
        var json = JsonSerializer.Deserialize<List<CellResponse>>((await _cli.RunAsync("cells", "--json")).Out, new JsonSerializerOptions(JsonSerializerDefaults.Web));
        Assert.Equal(1, json!.Single(c => c.Id == "cell-a").Instances);
    }

    [Fact]
    public async Task Login_push_apps_app_scale_logs_events_and_delete()
    {
        var target = await _cli.RunAsync("target");
        Assert.Contains(_api.Url, target.Out);
        Assert.Contains("admin", target.Out);

        // push --no-start: creates the app, uploads the zipped directory, stages while streaming [STG/0] lines.
        var stager = FakeStagerAsync("web", succeed: true);
        var push = await _cli.RunAsync("push", "web", "-p", AppDir(), "-m", "512M", "-i", "2", "--no-start");
        await stager;
        Assert.True(push.ExitCode == 0, push.ToString());
        Assert.Contains("Creating app web", push.Out);
        Assert.Contains("[STG/0] OUT -----> Fake buildpack detected", push.Out);
        Assert.Contains("[STG/0] OUT -----> Copying files", push.Out);
        Assert.Contains("Uploading", push.Err);
        Assert.Contains("web.apps.test", push.Out);
        Assert.Contains("staticfile", push.Out);

        await using (var db = _api.Db())
        {
            var app = await db.Apps.SingleAsync(a => a.Name == "web");
            Assert.Equal((2, 512, AppStates.Stopped), (app.Instances, app.MemoryMb, app.State));
            Assert.NotNull(app.CurrentDropletId);
            Assert.Equal(BuildStates.Staged, (await db.Builds.SingleAsync(b => b.AppId == app.Id)).State);
            Assert.Single(await db.Packages.Where(p => p.AppId == app.Id).ToListAsync());
        }

        var apps = await _cli.RunAsync("apps");
        Assert.Equal(0, apps.ExitCode);
        Assert.Contains("web", apps.Out);
        Assert.Contains("0/2", apps.Out);
        var appsJson = JsonSerializer.Deserialize<List<AppResponse>>((await _cli.RunAsync("apps", "--json")).Out, new JsonSerializerOptions(JsonSerializerDefaults.Web));
        Assert.Equal(512, appsJson!.Single(a => a.Name == "web").MemoryMb);

        // start: waits until every instance runs, then prints the summary with the instance table.
        var startTask = _cli.RunAsync("start", "web", "--timeout", "60");
        await Eventually.HoldsAsync(async () =>
        {
            await using var db = _api.Db();
            return (await db.Apps.SingleAsync(a => a.Name == "web")).State == AppStates.Started;
        }, "the app to be STARTED");
        await SetInstancesAsync("web", 2, InstanceStates.Running);
        var start = await startTask;
        Assert.True(start.ExitCode == 0, start.ToString());
        Assert.Matches(@"instances:\s+2/2", start.Out);
        Assert.Contains("#1", start.Out);
        Assert.Contains("10.0.0.3:8080", start.Out);

        var show = await _cli.RunAsync("app", "web");
        Assert.Equal(0, show.ExitCode);
        Assert.Matches(@"requested state:\s+started", show.Out);
        Assert.Contains("running", show.Out);
        var detail = JsonSerializer.Deserialize<AppDetailResponse>((await _cli.RunAsync("app", "web", "--json")).Out, new JsonSerializerOptions(JsonSerializerDefaults.Web));
        Assert.Equal(2, detail!.InstanceDetails.Count);

        var scale = await _cli.RunAsync("scale", "web", "-i", "3", "-m", "1G");
        Assert.True(scale.ExitCode == 0, scale.ToString());
        await using (var db = _api.Db())
        {
            var app = await db.Apps.SingleAsync(a => a.Name == "web");
            Assert.Equal((3, 1024), (app.Instances, app.MemoryMb));
        }

        var logs = await _cli.RunAsync("logs", "web", "--recent");
        Assert.Equal(0, logs.ExitCode);
        Assert.Contains("[STG/0] OUT -----> Fake buildpack detected", logs.Out);

        var events = await _cli.RunAsync("events", "web");
        Assert.Equal(0, events.ExitCode);
        foreach (var type in new[] { "app.create", "app.upload", "app.stage", "app.start", "app.scale" })
            Assert.Contains(type, events.Out);

        var stop = await _cli.RunAsync("stop", "web");
        Assert.Equal(0, stop.ExitCode);

        var delete = await _cli.RunAsync("delete", "web", "-f");
        Assert.True(delete.ExitCode == 0, delete.ToString());
        var gone = await _cli.RunAsync("app", "web");
        Assert.Equal(1, gone.ExitCode);
        Assert.Contains("app 'web' not found", gone.Err);
        // Deleting what is gone is not an error (as cf delete), so scripts can clean up without checking.
        var again = await _cli.RunAsync("delete", "web", "-f");
        Assert.True(again.ExitCode == 0, again.ToString());
        Assert.Contains("App web does not exist.", again.Out);
        await using (var db = _api.Db())
            Assert.False(await db.Apps.AnyAsync(a => a.Name == "web"));
    }

    [Fact]
    public async Task Logs_without_recent_follow_new_lines_until_cancelled()
    {
        var stager = FakeStagerAsync("tail", succeed: true);
        Assert.Equal(0, (await _cli.RunAsync("push", "tail", "-p", AppDir(), "--no-start")).ExitCode);
        await stager;
        Guid appId;
        await using (var db = _api.Db()) appId = (await db.Apps.SingleAsync(a => a.Name == "tail")).Id;

        using var cts = new CancellationTokenSource();
        var output = new StringWriter();
        var follow = _cli.RunAsync(["logs", "tail"], output, cts.Token);
        await Eventually.HoldsAsync(() => Task.FromResult(output.ToString().Contains("Copying files")), "the recent lines");
        var harness = _api.Services.GetRequiredService<ITestHarness>();
        await harness.Bus.Publish(new LogBatch(appId, [new LogEntry(DateTimeOffset.UtcNow, "APP/PROC/WEB", 0, "OUT", "a new line")]));
        await Eventually.HoldsAsync(() => Task.FromResult(output.ToString().Contains("[APP/PROC/WEB/0] OUT a new line")), "the followed line");
        cts.Cancel();
        var result = await follow;
        Assert.Single(System.Text.RegularExpressions.Regex.Matches(output.ToString(), "a new line"));
        Assert.True(result.ExitCode == 0, result.ToString()); // Ctrl-C is how following ends: not an error
    }

    [Fact]
    public async Task A_failed_staging_fails_the_push_with_the_error()
    {
        var stager = FakeStagerAsync("broken", succeed: false);
        var push = await _cli.RunAsync("push", "broken", "-p", AppDir());
        await stager;
        Assert.Equal(1, push.ExitCode);
        Assert.Contains("[STG/0] OUT -----> Copying files", push.Out);
        Assert.Contains("staging failed: no buildpack detected the app", push.Err);
    }

    [Fact]
    public async Task A_crashing_instance_fails_the_start_with_its_reason()
    {
        var stager = FakeStagerAsync("crashy", succeed: true);
        Assert.Equal(0, (await _cli.RunAsync("push", "crashy", "-p", AppDir(), "--no-start")).ExitCode);
        await stager;
        var startTask = _cli.RunAsync("start", "crashy", "--timeout", "60");
        await SetInstancesAsync("crashy", 1, InstanceStates.Crashed, "exited with status 3");
        var start = await startTask;
        Assert.Equal(1, start.ExitCode);
        Assert.Contains("exited with status 3", start.Err);
        Assert.Contains("crashed", start.Err);
    }

    [Fact]
    public async Task Api_errors_are_printed_with_their_problem_and_exit_1()
    {
        var conflict = await _cli.RunAsync("scale", "no-such-app", "-i", "2");
        Assert.Equal(1, conflict.ExitCode);
        Assert.Contains("app 'no-such-app' not found", conflict.Err);

        var other = new CliRun(variables: new Dictionary<string, string> { ["PLAT_PASSWORD"] = "wrong" });
        var login = await other.RunAsync("login", "-a", _api.Url, "-u", "admin");
        Assert.Equal(1, login.ExitCode);
        Assert.Contains("wrong username or password", login.Err);
        Assert.False(File.Exists(Path.Combine(other.Home, "config.json")));
    }

    [Fact]
    public async Task A_prebuilt_archive_is_read_entry_by_entry_into_a_package_with_its_entries()
    {
        var war = Path.Combine(Directory.CreateTempSubdirectory("plat-war-").FullName, "app.war");
        System.IO.Compression.ZipFile.CreateFromDirectory(AppDir(), war);
        var stager = FakeStagerAsync("warapp", succeed: true);
        var push = await _cli.RunAsync("push", "warapp", "-p", war, "--no-start");
        await stager;
        Assert.True(push.ExitCode == 0, push.ToString());
        await using var db = _api.Db();
        var package = await db.Packages.SingleAsync(p => p.AppId == db.Apps.Single(a => a.Name == "warapp").Id);
        static Dictionary<string, string> Entries(Stream zip)
        {
            using var archive = new System.IO.Compression.ZipArchive(zip);
            return archive.Entries.ToDictionary(e => e.FullName, e => { using var r = new StreamReader(e.Open()); return r.ReadToEnd(); });
        }
        await using var stored = File.OpenRead(Path.Combine(_api.BlobDir, "sha256", package.Digest["sha256:".Length..]));
        Assert.Equal(Entries(File.OpenRead(war)), Entries(stored));
    }
}
