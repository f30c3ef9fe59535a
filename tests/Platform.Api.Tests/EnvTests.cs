using System.Net;
using System.Net.Http.Json;
using System.Text;
using Microsoft.EntityFrameworkCore;
using Platform.Contracts.Api;
using Platform.Data.Entities;
using Platform.TestSupport;

namespace Platform.Api.Tests;

/// <summary>An app's environment: set, unset, shown with the platform's own variables; bad names and sizes refused up front.</summary>
[Collection(ApiCollection.Name)]
public sealed class EnvTests(ApiFixture fixture)
{
    private HttpClient Admin => fixture.Admin;

    private async Task<string> NewAppAsync(Dictionary<string, string>? env = null)
    {
        var name = "env-" + Guid.NewGuid().ToString("N")[..10];
        (await Admin.PostAsJsonAsync(TestSpaces.Default + "/apps", new AppRequest(name, Env: env))).EnsureSuccessStatusCode();
        return name;
    }

    [Fact]
    public async Task Set_show_and_unset_with_the_platforms_variables_and_restart_required_once_instances_run_the_old_env()
    {
        var name = await NewAppAsync(new() { ["A"] = "1" });
        var set = await Admin.PutAsJsonAsync($"{TestSpaces.Default}/apps/{name}/env/DB_URL", new EnvValueRequest("postgres://x"));
        Assert.Equal(HttpStatusCode.OK, set.StatusCode);
        var env = (await Admin.GetFromJsonAsync<AppEnvResponse>($"{TestSpaces.Default}/apps/{name}/env"))!;
        Assert.Equal(new Dictionary<string, string> { ["A"] = "1", ["DB_URL"] = "postgres://x" }, env.User);
        Assert.Equal("8080", env.Platform["PORT"]);
        Assert.Contains("\"space_name\":\"dev\"", env.Platform["VCAP_APPLICATION"]);
        Assert.Contains("\"organization_name\":\"default\"", env.Platform["VCAP_APPLICATION"]);
        Assert.False(env.RestartRequired); // nothing runs

        // Staged (a droplet, so a revision) and running it; then the env changes: the instance runs an outdated revision.
        await using (var db = fixture.Host.Db())
        {
            var app = await db.Apps.SingleAsync(a => a.Name == name);
            var droplet = new DropletEntity { Id = Guid.NewGuid(), AppId = app.Id, StartCommand = "./run", CreatedAt = DateTimeOffset.UtcNow };
            db.Droplets.Add(droplet);
            app.CurrentDropletId = droplet.Id;
            var revision = await Platform.Api.Deployments.Revisions.SnapshotAsync(db, app, "staged", DateTimeOffset.UtcNow, CancellationToken.None);
            db.Instances.Add(new InstanceEntity { Id = Guid.NewGuid(), AppId = app.Id, SpaceId = app.SpaceId, CellId = "c", State = InstanceStates.Running,
                MemoryMb = app.MemoryMb, DiskMb = app.DiskMb, DropletId = droplet.Id, RevisionId = revision!.Id, CreatedAt = DateTimeOffset.UtcNow, UpdatedAt = DateTimeOffset.UtcNow });
            await db.SaveChangesAsync();
        }
        Assert.False((await Admin.GetFromJsonAsync<AppEnvResponse>($"{TestSpaces.Default}/apps/{name}/env"))!.RestartRequired);
        var unset = await (await Admin.DeleteAsync($"{TestSpaces.Default}/apps/{name}/env/A")).Content.ReadFromJsonAsync<AppEnvResponse>();
        Assert.Equal(["DB_URL"], unset!.User.Keys);
        Assert.True(unset.RestartRequired);

        await ProblemAssert.IsProblemAsync(await Admin.DeleteAsync($"{TestSpaces.Default}/apps/{name}/env/A"), HttpStatusCode.NotFound, "no environment variable A");
        // The event names the variable, never its value.
        await using var check = fixture.Host.Db();
        var events = await check.Events.Where(e => e.Type == "app.env").Select(e => e.Description).ToListAsync();
        Assert.Contains("set DB_URL", events);
        Assert.DoesNotContain(events, d => d.Contains("postgres://"));
    }

    [Theory]
    [InlineData("A=B", "not a valid environment variable name")]
    [InlineData("1ABC", "not a valid environment variable name")]
    [InlineData("WITH SPACE", "not a valid environment variable name")]
    [InlineData("PORT", "set by the platform")]
    [InlineData("VCAP_SERVICES", "set by the platform")]
    public async Task A_bad_or_reserved_name_is_400_and_nothing_changes(string variable, string error)
    {
        var name = await NewAppAsync();
        var resp = await Admin.PutAsJsonAsync($"{TestSpaces.Default}/apps/{name}/env/{Uri.EscapeDataString(variable)}", new EnvValueRequest("x"));
        await ProblemAssert.IsProblemAsync(resp, HttpStatusCode.BadRequest, error);
        var create = await Admin.PostAsJsonAsync(TestSpaces.Default + "/apps", new AppRequest("bad-" + Guid.NewGuid().ToString("N")[..8], Env: new() { [variable] = "x" }));
        await ProblemAssert.IsProblemAsync(create, HttpStatusCode.BadRequest, error);
        Assert.Empty((await Admin.GetFromJsonAsync<AppEnvResponse>($"{TestSpaces.Default}/apps/{name}/env"))!.User);
    }

    [Fact]
    public async Task A_nul_in_a_name_or_value_and_an_env_past_130_KB_are_refused()
    {
        var create = await Admin.PostAsJsonAsync(TestSpaces.Default + "/apps", new AppRequest("nul-" + Guid.NewGuid().ToString("N")[..8], Env: new() { ["A\0B"] = "x" }));
        await ProblemAssert.IsProblemAsync(create, HttpStatusCode.BadRequest, "not a valid environment variable name");
        var name = await NewAppAsync();
        await ProblemAssert.IsProblemAsync(await Admin.PutAsJsonAsync($"{TestSpaces.Default}/apps/{name}/env/K", new EnvValueRequest("a\0b")),
            HttpStatusCode.BadRequest, "contains a NUL");
        var big = new string('x', 70 * 1024);
        Assert.Equal(HttpStatusCode.OK, (await Admin.PutAsJsonAsync($"{TestSpaces.Default}/apps/{name}/env/ONE", new EnvValueRequest(big))).StatusCode);
        await ProblemAssert.IsProblemAsync(await Admin.PutAsJsonAsync($"{TestSpaces.Default}/apps/{name}/env/TWO", new EnvValueRequest(big)),
            HttpStatusCode.BadRequest, "larger than 130 KB");
        Assert.Equal(["ONE"], (await Admin.GetFromJsonAsync<AppEnvResponse>($"{TestSpaces.Default}/apps/{name}/env"))!.User.Keys);
    }

    [Fact]
    public async Task A_10_MB_body_of_100000_variables_is_refused_before_it_is_parsed()
    {
        var json = new StringBuilder("{\"name\":\"huge-env\",\"env\":{");
        for (var i = 0; i < 100_000; i++) json.Append(i == 0 ? "" : ",").Append("\"V").Append(i).Append("\":\"").Append(new string('x', 90)).Append('"');
        json.Append("}}");
        Assert.True(json.Length > 10_000_000);
        var resp = await Admin.PostAsync(TestSpaces.Default + "/apps", new StringContent(json.ToString(), Encoding.UTF8, "application/json"));
        await ProblemAssert.IsProblemAsync(resp, HttpStatusCode.RequestEntityTooLarge, "larger than 1024 KB");
        await using var db = fixture.Host.Db();
        Assert.False(await db.Apps.AnyAsync(a => a.Name == "huge-env"));
    }

    [Fact]
    public async Task A_size_no_cell_can_hold_is_refused_and_named_as_such()
    {
        await using (var db = fixture.Host.Db())
        {
            db.Cells.Add(new CellEntity { Id = "big-cell-" + Guid.NewGuid().ToString("N")[..6], Host = "h", MemoryCapacityMb = 32 * 1024, DiskCapacityMb = 0,
                LastHeartbeat = DateTimeOffset.UtcNow });
            await db.SaveChangesAsync();
        }
        var name = "huge-" + Guid.NewGuid().ToString("N")[..8];
        var resp = await Admin.PostAsJsonAsync(TestSpaces.Default + "/apps", new AppRequest(name, Memory: "1T"));
        await ProblemAssert.IsProblemAsync(resp, HttpStatusCode.UnprocessableEntity, "fits on no cell: the largest cell has");
        var small = await NewAppAsync();
        await ProblemAssert.IsProblemAsync(await Admin.PostAsJsonAsync($"{TestSpaces.Default}/apps/{small}/scale", new ScaleRequest(Memory: "1T")),
            HttpStatusCode.UnprocessableEntity, "fits on no cell");
        await using var check = fixture.Host.Db();
        Assert.False(await check.Apps.AnyAsync(a => a.Name == name));
        Assert.Equal(256, (await check.Apps.SingleAsync(a => a.Name == small)).MemoryMb);
    }
}
