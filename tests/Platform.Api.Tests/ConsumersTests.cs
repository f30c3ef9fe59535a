using Platform.TestSupport;
using System.Net.Http.Json;
using MassTransit;
using MassTransit.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Platform.Api.Logs;
using Platform.Contracts.Api;
using Platform.Contracts.Messages;
using Platform.Data.Entities;

namespace Platform.Api.Tests;

/// <summary>The API's bus consumers, fed through MassTransit's in-memory harness, writing to the real database.</summary>
[Collection(ApiCollection.Name)]
public sealed class ConsumersTests(ApiFixture fixture)
{
    private ApiHost Host => fixture.Host;
    private HttpClient Admin => fixture.Admin;

    private async Task<(AppResponse App, BuildResponse Build)> NewBuildAsync()
    {
        var name = "cons-" + Guid.NewGuid().ToString("N")[..8];
        var app = (await (await Admin.PostAsJsonAsync(TestSpaces.Default + "/apps", new AppRequest(name))).Content.ReadFromJsonAsync<AppResponse>())!;
        (await Admin.PutAsync($"{TestSpaces.Default}/apps/{name}/package",
            new ByteArrayContent(Zips.Make(("index.html", "hi"))) { Headers = { ContentType = new("application/zip") } })).EnsureSuccessStatusCode();
        var build = (await (await Admin.PostAsync($"{TestSpaces.Default}/apps/{name}/builds", null)).Content.ReadFromJsonAsync<BuildResponse>())!;
        return (app, build);
    }

    // The bus was started with the web host's hosted services; ITestHarness.Start would start them all again.
    private Task<ITestHarness> HarnessAsync() => Task.FromResult(Host.Services.GetRequiredService<ITestHarness>());

    private static async Task ConsumedAsync<T>(ITestHarness harness, Func<T, bool> match, int count = 1) where T : class
    {
        await Eventually.HoldsAsync(() => Task.FromResult(
            harness.Consumed.Select<T>(x => match(x.Context.Message)).Count() >= count), $"{count} {typeof(T).Name} consumed");
        var failed = harness.Consumed.Select<T>(x => match(x.Context.Message)).FirstOrDefault(x => x.Exception is not null);
        Assert.True(failed is null, $"consumer failed: {failed?.Exception}");
    }

    [Fact]
    public async Task StagingCompleted_delivered_twice_makes_one_droplet_and_stages_the_build()
    {
        var (app, build) = await NewBuildAsync();
        var harness = await HarnessAsync();
        var droplet = new DropletSpec([new LayerRef("sha256:" + new string('a', 64), 10, "stack:bookworm"), new LayerRef("sha256:" + new string('b', 64), 5, "app")], "./start");
        var message = new StagingCompleted(build.Id, app.Id, true, null, "staticfile", droplet);
        await harness.Bus.Publish(message);
        await harness.Bus.Publish(message);
        await ConsumedAsync<StagingCompleted>(harness, m => m.BuildId == build.Id, count: 2);

        await using var db = Host.Db();
        var stored = await db.Droplets.SingleAsync(d => d.BuildId == build.Id);
        Assert.Equal(["stack:bookworm", "app"], stored.Layers.Select(l => l.Name));
        Assert.Equal("./start", stored.StartCommand);
        var b = await db.Builds.SingleAsync(x => x.Id == build.Id);
        Assert.Equal((BuildStates.Staged, stored.Id, "staticfile"), (b.State, b.DropletId, b.Buildpack));
        Assert.NotNull(b.CompletedAt);
        Assert.Equal(stored.Id, (await db.Apps.SingleAsync(a => a.Id == app.Id)).CurrentDropletId);
        Assert.Equal(1, await db.Events.CountAsync(e => e.AppId == app.Id && e.Type == "app.stage"));

        // Now the app can start, and it shows the detected buildpack.
        (await Admin.PostAsync($"{TestSpaces.Default}/apps/{app.Name}/start", null)).EnsureSuccessStatusCode();
        var shown = await Admin.GetFromJsonAsync<AppDetailResponse>($"{TestSpaces.Default}/apps/{app.Name}");
        Assert.Equal(("STARTED", "staticfile"), (shown!.App.State, shown.App.DetectedBuildpack));
    }

    [Fact]
    public async Task A_failed_staging_marks_the_build_FAILED_with_the_error_and_makes_no_droplet()
    {
        var (app, build) = await NewBuildAsync();
        var harness = await HarnessAsync();
        await harness.Bus.Publish(new StagingCompleted(build.Id, app.Id, false, "no buildpack detected the app", null, null));
        await ConsumedAsync<StagingCompleted>(harness, m => m.BuildId == build.Id);

        var shown = await Admin.GetFromJsonAsync<BuildResponse>($"{TestSpaces.Default}/apps/{app.Name}/builds/{build.Id}");
        Assert.Equal(("FAILED", "no buildpack detected the app"), (shown!.State, shown.Error));
        await using var db = Host.Db();
        Assert.False(await db.Droplets.AnyAsync(d => d.AppId == app.Id));
        Assert.Null((await db.Apps.SingleAsync(a => a.Id == app.Id)).CurrentDropletId);
        Assert.Contains(await db.Events.Where(e => e.AppId == app.Id).ToListAsync(), e => e.Type == "app.stage.failed" && e.Description.Contains("no buildpack"));
    }

    [Fact]
    public async Task Staging_logs_and_log_batches_become_log_lines_served_in_order()
    {
        var (app, build) = await NewBuildAsync();
        var harness = await HarnessAsync();
        var t0 = DateTimeOffset.UtcNow;
        await harness.Bus.Publish(new StagingLog(build.Id, app.Id, "-----> Downloading buildpack", t0));
        await ConsumedAsync<StagingLog>(harness, m => m.AppId == app.Id);
        await harness.Bus.Publish(new LogBatch(app.Id, [
            new LogEntry(t0.AddSeconds(1), "APP/PROC/WEB", 0, "OUT", "listening on 8080"),
            new LogEntry(t0.AddSeconds(2), "APP/PROC/WEB", 1, "ERR", "oops"),
        ]));
        await ConsumedAsync<LogBatch>(harness, m => m.AppId == app.Id);

        var all = (await Admin.GetFromJsonAsync<List<LogLineResponse>>($"{TestSpaces.Default}/apps/{app.Name}/logs"))!;
        Assert.Equal(["-----> Downloading buildpack", "listening on 8080", "oops"], all.Select(l => l.Text));
        Assert.Equal(("STG", 0, "OUT"), (all[0].Source, all[0].SourceIndex, all[0].Stream));
        Assert.Contains("[STG/0] OUT -----> Downloading buildpack", all[0].Render());
        Assert.Contains("[APP/PROC/WEB/1] ERR oops", all[2].Render());

        var after = await Admin.GetFromJsonAsync<List<LogLineResponse>>($"{TestSpaces.Default}/apps/{app.Name}/logs?after={all[0].Id}");
        Assert.Equal(["listening on 8080", "oops"], after!.Select(l => l.Text));
        var recent = await Admin.GetFromJsonAsync<List<LogLineResponse>>($"{TestSpaces.Default}/apps/{app.Name}/logs?limit=2");
        Assert.Equal(["listening on 8080", "oops"], recent!.Select(l => l.Text));
        await ProblemAssert.IsProblemAsync(await Admin.GetAsync($"{TestSpaces.Default}/apps/{app.Name}/logs?limit=5001"), System.Net.HttpStatusCode.BadRequest, "limit");
    }

    [Fact]
    public async Task The_trimmer_keeps_only_the_newest_lines_per_app()
    {
        var (app, _) = await NewBuildAsync();
        var (other, _) = await NewBuildAsync();
        await using (var db = Host.Db())
        {
            for (var i = 0; i < 2010; i++)
                db.LogLines.Add(new LogLineEntity { AppId = app.Id, Source = "APP/PROC/WEB", Text = $"line {i}", Timestamp = DateTimeOffset.UtcNow });
            db.LogLines.Add(new LogLineEntity { AppId = other.Id, Source = "APP/PROC/WEB", Text = "keep me", Timestamp = DateTimeOffset.UtcNow });
            await db.SaveChangesAsync();
        }
        await using var scope = Host.Services.CreateAsyncScope();
        await scope.ServiceProvider.GetRequiredService<LogTrimmer>().TrimAsync(CancellationToken.None);

        await using var check = Host.Db();
        var left = await check.LogLines.Where(l => l.AppId == app.Id).OrderBy(l => l.Id).Select(l => l.Text).ToListAsync();
        Assert.Equal(2000, left.Count);
        Assert.Equal("line 10", left[0]);
        Assert.Equal("line 2009", left[^1]);
        Assert.Equal(1, await check.LogLines.CountAsync(l => l.AppId == other.Id));
    }
}
