using Platform.TestSupport;
using System.Net;
using System.Net.Http.Json;
using Microsoft.EntityFrameworkCore;
using Platform.Contracts.Api;
using Platform.Contracts.Messages;
using Platform.Data.Entities;

namespace Platform.Api.Tests;

[Collection(ApiCollection.Name)]
public sealed class AppsTests(ApiFixture fixture)
{
    private ApiHost Host => fixture.Host;
    private HttpClient Admin => fixture.Admin;

    private static string NewName() => "app-" + Guid.NewGuid().ToString("N")[..10];

    [Fact]
    public async Task Create_list_show_and_delete()
    {
        var name = NewName();
        var create = await Admin.PostAsJsonAsync(TestSpaces.Default + "/apps", new AppRequest(name, Memory: "512M", Env: new() { ["A"] = "1" }));
        Assert.Equal(HttpStatusCode.Created, create.StatusCode);
        var app = (await create.Content.ReadFromJsonAsync<AppResponse>())!;
        Assert.Equal(name, app.Name);
        Assert.Equal("STOPPED", app.State);
        Assert.Equal(1, app.Instances);
        Assert.Equal(512, app.MemoryMb);
        Assert.Equal(1024, app.DiskMb);
        Assert.Equal([$"{name}.apps.test"], app.Routes);

        var list = await Admin.GetFromJsonAsync<List<AppResponse>>(TestSpaces.Default + "/apps");
        Assert.Contains(list!, a => a.Name == name && a.Routes.Contains($"{name}.apps.test"));

        var detail = await Admin.GetFromJsonAsync<AppDetailResponse>($"{TestSpaces.Default}/apps/{name}");
        Assert.Equal(app.Id, detail!.App.Id);
        Assert.Empty(detail.InstanceDetails);

        await using (var db = Host.Db())
        {
            Assert.Contains(await db.Events.Where(e => e.AppId == app.Id).ToListAsync(), e => e.Type == "app.create" && e.Actor == "admin");
            Assert.True(await OutboxHasAsync(db, nameof(AppDesiredStateChanged), app.Id));
            // An instance the scheduler placed earlier: delete must leave it for the scheduler to stop.
            db.Instances.Add(new InstanceEntity { Id = Guid.NewGuid(), AppId = app.Id, CellId = "c1", State = InstanceStates.Running });
            await db.SaveChangesAsync();
        }

        var delete = await Admin.DeleteAsync($"{TestSpaces.Default}/apps/{name}");
        Assert.Equal(HttpStatusCode.NoContent, delete.StatusCode);
        await ProblemAssert.IsProblemAsync(await Admin.GetAsync($"{TestSpaces.Default}/apps/{name}"), HttpStatusCode.NotFound, $"app '{name}' not found");
        await using (var db = Host.Db())
        {
            Assert.False(await db.Apps.AnyAsync(a => a.Id == app.Id));
            Assert.False(await db.Routes.AnyAsync(r => r.AppId == app.Id));
            Assert.True(await db.Instances.AnyAsync(i => i.AppId == app.Id));
            Assert.Contains(await db.Events.Where(e => e.AppId == app.Id).ToListAsync(), e => e.Type == "app.delete");
            Assert.Equal(2, (await db.OutboxMessages.ToListAsync()).Count(m => m.MessageType.EndsWith(nameof(AppDesiredStateChanged)) && m.Body.Contains(app.Id.ToString())));
        }
    }

    [Fact]
    public async Task A_taken_name_is_409_and_adds_nothing()
    {
        var name = NewName();
        (await Admin.PostAsJsonAsync(TestSpaces.Default + "/apps", new AppRequest(name))).EnsureSuccessStatusCode();
        var again = await Admin.PostAsJsonAsync(TestSpaces.Default + "/apps", new AppRequest(name));
        await ProblemAssert.IsProblemAsync(again, HttpStatusCode.Conflict, "taken");
        await using var db = Host.Db();
        Assert.Equal(1, await db.Apps.CountAsync(a => a.Name == name));
    }

    [Theory]
    [InlineData("My_App", "not a valid app name")]
    [InlineData("-x", "not a valid app name")]
    [InlineData("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "not a valid app name")] // 64 chars
    [InlineData("", "not a valid app name")]
    public async Task Invalid_names_are_400_and_write_nothing(string name, string detail)
    {
        var before = await CountsAsync();
        var resp = await Admin.PostAsJsonAsync(TestSpaces.Default + "/apps", new AppRequest(name));
        await ProblemAssert.IsProblemAsync(resp, HttpStatusCode.BadRequest, detail);
        Assert.Equal(before, await CountsAsync());
    }

    [Theory]
    [InlineData("0", null, null, "must be at least 1M")]
    [InlineData("lots", null, null, "'lots' is not a size")]
    [InlineData(null, "-5G", null, "disk: '-5G' is not a size")]
    [InlineData(null, null, 101, "instances must be between 0 and 100")]
    [InlineData(null, null, -1, "instances must be between 0 and 100")]
    public async Task Invalid_sizes_are_400_and_write_nothing(string? memory, string? disk, int? instances, string detail)
    {
        var before = await CountsAsync();
        var resp = await Admin.PostAsJsonAsync(TestSpaces.Default + "/apps", new AppRequest(NewName(), instances, memory, disk));
        await ProblemAssert.IsProblemAsync(resp, HttpStatusCode.BadRequest, detail);
        Assert.Equal(before, await CountsAsync());
    }

    [Fact]
    public async Task A_body_that_is_not_json_is_400()
    {
        var resp = await Admin.PostAsync(TestSpaces.Default + "/apps", new StringContent("{not json", System.Text.Encoding.UTF8, "application/json"));
        await ProblemAssert.IsProblemAsync(resp, HttpStatusCode.BadRequest, "not valid JSON");
    }

    [Theory]
    [InlineData("GET", "")]
    [InlineData("DELETE", "")]
    [InlineData("POST", "/start")]
    [InlineData("POST", "/stop")]
    [InlineData("POST", "/restart")]
    [InlineData("GET", "/logs")]
    [InlineData("GET", "/events")]
    [InlineData("POST", "/builds")]
    public async Task An_unknown_app_is_404(string method, string suffix)
    {
        var resp = await Admin.SendAsync(new HttpRequestMessage(new HttpMethod(method), $"{TestSpaces.Default}/apps/no-such-app{suffix}"));
        await ProblemAssert.IsProblemAsync(resp, HttpStatusCode.NotFound, "app 'no-such-app' not found");
    }

    [Fact]
    public async Task Scale_changes_instances_memory_and_disk_and_records_an_event()
    {
        var name = NewName();
        var app = (await (await Admin.PostAsJsonAsync(TestSpaces.Default + "/apps", new AppRequest(name))).Content.ReadFromJsonAsync<AppResponse>())!;
        var resp = await Admin.PostAsJsonAsync($"{TestSpaces.Default}/apps/{name}/scale", new ScaleRequest(3, "1G", "2G"));
        resp.EnsureSuccessStatusCode();
        var scaled = (await resp.Content.ReadFromJsonAsync<AppResponse>())!;
        Assert.Equal((3, 1024, 2048), (scaled.Instances, scaled.MemoryMb, scaled.DiskMb));

        var bad = await Admin.PostAsJsonAsync($"{TestSpaces.Default}/apps/{name}/scale", new ScaleRequest(Memory: "0"));
        await ProblemAssert.IsProblemAsync(bad, HttpStatusCode.BadRequest, "at least 1M");
        var empty = await Admin.PostAsJsonAsync($"{TestSpaces.Default}/apps/{name}/scale", new ScaleRequest());
        await ProblemAssert.IsProblemAsync(empty, HttpStatusCode.BadRequest, "nothing to scale");

        await using var db = Host.Db();
        var stored = await db.Apps.SingleAsync(a => a.Id == app.Id);
        Assert.Equal((3, 1024, 2048), (stored.Instances, stored.MemoryMb, stored.DiskMb));
        var scaleEvent = await db.Events.SingleAsync(e => e.AppId == app.Id && e.Type == "app.scale");
        Assert.Contains("instances 1 -> 3", scaleEvent.Description);
    }

    [Fact]
    public async Task Patch_updates_only_the_given_fields()
    {
        var name = NewName();
        (await Admin.PostAsJsonAsync(TestSpaces.Default + "/apps", new AppRequest(name, Instances: 2, Buildpack: "staticfile"))).EnsureSuccessStatusCode();
        var resp = await Admin.PatchAsJsonAsync($"{TestSpaces.Default}/apps/{name}", new AppRequest(Command: "./run", Env: new() { ["K"] = "v" }));
        resp.EnsureSuccessStatusCode();
        var app = (await resp.Content.ReadFromJsonAsync<AppResponse>())!;
        Assert.Equal((2, "staticfile", "./run"), (app.Instances, app.Buildpack, app.Command));
        await using var db = Host.Db();
        Assert.Equal("v", (await db.Apps.SingleAsync(a => a.Name == name)).Env["K"]);

        var rename = await Admin.PatchAsJsonAsync($"{TestSpaces.Default}/apps/{name}", new AppRequest(Name: "other"));
        await ProblemAssert.IsProblemAsync(rename, HttpStatusCode.BadRequest, "renaming is not supported");
    }

    [Fact]
    public async Task Start_needs_a_droplet_then_start_stop_and_restart_change_the_desired_state()
    {
        var name = NewName();
        var app = (await (await Admin.PostAsJsonAsync(TestSpaces.Default + "/apps", new AppRequest(name))).Content.ReadFromJsonAsync<AppResponse>())!;
        await ProblemAssert.IsProblemAsync(await Admin.PostAsync($"{TestSpaces.Default}/apps/{name}/start", null), HttpStatusCode.UnprocessableEntity, "app has not been staged");

        var instanceId = Guid.NewGuid();
        await using (var db = Host.Db())
        {
            var droplet = new DropletEntity { Id = Guid.NewGuid(), AppId = app.Id, BuildId = Guid.NewGuid(), StartCommand = "run" };
            db.Droplets.Add(droplet);
            (await db.Apps.SingleAsync(a => a.Id == app.Id)).CurrentDropletId = droplet.Id;
            db.Instances.Add(new InstanceEntity { Id = instanceId, AppId = app.Id, CellId = "cell-a", DropletId = droplet.Id, State = InstanceStates.Running });
            await db.SaveChangesAsync();
        }

        var started = await Admin.PostAsync($"{TestSpaces.Default}/apps/{name}/start", null);
        started.EnsureSuccessStatusCode();
        Assert.Equal("STARTED", (await started.Content.ReadFromJsonAsync<AppResponse>())!.State);
        var stopped = await Admin.PostAsync($"{TestSpaces.Default}/apps/{name}/stop", null);
        Assert.Equal("STOPPED", (await stopped.Content.ReadFromJsonAsync<AppResponse>())!.State);
        var restarted = await Admin.PostAsync($"{TestSpaces.Default}/apps/{name}/restart", null);
        Assert.Equal("STARTED", (await restarted.Content.ReadFromJsonAsync<AppResponse>())!.State);

        // A restart is a rolling deployment: the running instance stays until the scheduler has its replacement running.
        await using (var db = Host.Db())
        {
            Assert.Equal(InstanceStates.Running, (await db.Instances.SingleAsync(i => i.Id == instanceId)).State);
            var restartedApp = await db.Apps.SingleAsync(a => a.Id == app.Id);
            var deployment = await db.Deployments.SingleAsync(d => d.AppId == app.Id);
            Assert.Equal((DeploymentStates.Deploying, DeploymentStrategies.Rolling, restartedApp.Generation, restartedApp.TargetRevisionId),
                (deployment.State, deployment.Strategy, deployment.Generation, (Guid?)deployment.RevisionId));
            Assert.True(await OutboxHasAsync(db, nameof(AppDesiredStateChanged), app.Id));
            var types = await db.Events.Where(e => e.AppId == app.Id).Select(e => e.Type).ToListAsync();
            Assert.Contains("app.start", types);
            Assert.Contains("app.stop", types);
            Assert.Contains("app.deploy", types);
        }
        var detail = await Admin.GetFromJsonAsync<AppDetailResponse>($"{TestSpaces.Default}/apps/{name}");
        Assert.Equal(("DEPLOYING", "rolling"), (detail!.Deployment!.State, detail.Deployment.Strategy));
    }

    private async Task<(int Apps, int Routes, int Events, int Outbox)> CountsAsync()
    {
        await using var db = Host.Db();
        return (await db.Apps.CountAsync(), await db.Routes.CountAsync(), await db.Events.CountAsync(), await db.OutboxMessages.CountAsync());
    }

    private static async Task<bool> OutboxHasAsync(Platform.Data.PlatformDbContext db, string type, Guid appId) =>
        (await db.OutboxMessages.ToListAsync()).Any(m => m.MessageType.EndsWith(type) && m.Body.Contains(appId.ToString()));
}
