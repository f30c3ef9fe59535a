using Platform.TestSupport;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Platform.Contracts.Api;
using Platform.Contracts.Messages;

namespace Platform.Api.Tests;

[Collection(ApiCollection.Name)]
public sealed class BuildsTests(ApiFixture fixture)
{
    private ApiHost Host => fixture.Host;
    private HttpClient Admin => fixture.Admin;

    [Fact]
    public async Task A_build_without_a_package_is_422_and_writes_nothing()
    {
        var name = "nopkg-" + Guid.NewGuid().ToString("N")[..8];
        (await Admin.PostAsJsonAsync(TestSpaces.Default + "/apps", new AppRequest(name))).EnsureSuccessStatusCode();
        await using var db = Host.Db();
        var outboxBefore = await db.OutboxMessages.CountAsync();
        var resp = await Admin.PostAsync($"{TestSpaces.Default}/apps/{name}/builds", null);
        await ProblemAssert.IsProblemAsync(resp, HttpStatusCode.UnprocessableEntity, "has no package");
        Assert.False(await db.Builds.AnyAsync(b => b.AppId == db.Apps.Single(a => a.Name == name).Id));
        Assert.Equal(outboxBefore, await db.OutboxMessages.CountAsync());
    }

    [Fact]
    public async Task A_build_is_STAGING_and_a_StageApp_for_the_stage_queue_is_in_the_outbox()
    {
        var name = "build-" + Guid.NewGuid().ToString("N")[..8];
        (await Admin.PostAsJsonAsync(TestSpaces.Default + "/apps", new AppRequest(name, Memory: "128M", Buildpack: "staticfile", Env: new() { ["X"] = "y" }))).EnsureSuccessStatusCode();
        var package = (await (await Admin.PutAsync($"{TestSpaces.Default}/apps/{name}/package",
            new ByteArrayContent(Zips.Make(("index.html", "hi"))) { Headers = { ContentType = new("application/zip") } }))
            .Content.ReadFromJsonAsync<PackageResponse>())!;

        var resp = await Admin.PostAsync($"{TestSpaces.Default}/apps/{name}/builds", null);
        Assert.Equal(HttpStatusCode.Created, resp.StatusCode);
        var build = (await resp.Content.ReadFromJsonAsync<BuildResponse>())!;
        Assert.Equal("STAGING", build.State);
        Assert.Equal(package.Id, build.PackageId);

        var shown = await Admin.GetFromJsonAsync<BuildResponse>($"{TestSpaces.Default}/apps/{name}/builds/{build.Id}");
        Assert.Equal(build.Id, shown!.Id);
        await ProblemAssert.IsProblemAsync(await Admin.GetAsync($"{TestSpaces.Default}/apps/{name}/builds/{Guid.NewGuid()}"), HttpStatusCode.NotFound, "not found");

        await using var db = Host.Db();
        var row = (await db.OutboxMessages.ToListAsync()).Single(m => m.MessageType.EndsWith(nameof(StageApp)) && m.Body.Contains(build.Id.ToString()));
        Assert.Equal(Queues.Stage, row.Queue);
        var stage = (StageApp)Platform.Data.Outbox.OutboxSerializer.Deserialize(row.MessageType, row.Body);
        Assert.Equal((build.Id, name, package.Digest, "staticfile", 128), (stage.BuildId, stage.AppName, stage.PackageDigest, stage.Buildpack, stage.MemoryMb));
        Assert.Equal("y", stage.Env["X"]);
    }
}
