using System.Net;
using System.Net.Http.Json;
using Microsoft.EntityFrameworkCore;
using Platform.Contracts.Api;
using Platform.Data.Entities;

namespace Platform.Api.Tests;

/// <summary>
/// Quotas refuse a create, scale or start past them before anything changes, naming the quota and the numbers; and
/// bad tenancy input gets a clear error: invalid names, unknown roles and users, duplicates, removing a role the user
/// does not have, quotas of negative or absurd sizes.
/// </summary>
public sealed class QuotaAndTenancyInputTests : IAsyncLifetime
{
    private ApiHost _host = null!;
    private HttpClient _admin = null!;
    private Guid _org, _space;

    public async Task InitializeAsync()
    {
        _host = await ApiHost.StartAsync();
        _admin = await _host.AdminClientAsync();
        _org = (await (await _admin.PostAsJsonAsync("/v1/orgs", new NameRequest("quota-org"))).Content.ReadFromJsonAsync<OrgResponse>())!.Id;
        _space = (await (await _admin.PostAsJsonAsync($"/v1/orgs/{_org}/spaces", new NameRequest("small"))).Content.ReadFromJsonAsync<SpaceResponse>())!.Id;
    }

    public async Task DisposeAsync()
    {
        _admin.Dispose();
        await _host.DisposeAsync();
    }

    private string Apps => $"/v1/spaces/{_space}/apps";

    private async Task StartedAppAsync(string name, int instances, string memory)
    {
        (await _admin.PostAsJsonAsync(Apps, new AppRequest(name, instances, memory))).EnsureSuccessStatusCode();
        await using var db = _host.Db();
        var app = await db.Apps.SingleAsync(a => a.SpaceId == _space && a.Name == name);
        app.State = AppStates.Started; // as if pushed and started
        app.CurrentDropletId = Guid.NewGuid();
        await db.SaveChangesAsync();
    }

    private async Task<(int Apps, int MemoryMb)> UsageAsync()
    {
        await using var db = _host.Db();
        var apps = await db.Apps.Where(a => a.SpaceId == _space).ToListAsync();
        return (apps.Count, apps.Where(a => a.State == AppStates.Started).Sum(a => a.Instances * a.MemoryMb));
    }

    [Fact]
    public async Task Space_and_org_quotas_refuse_past_their_limits_with_the_numbers_and_nothing_changes()
    {
        var quota = await _admin.PostAsJsonAsync($"/v1/orgs/{_org}/space-quotas", new QuotaRequest("small", "1G", "512M", AppInstances: 4, Apps: 3));
        Assert.Equal(HttpStatusCode.Created, quota.StatusCode);
        (await _admin.PutAsJsonAsync($"/v1/spaces/{_space}/quota", new AssignQuotaRequest("small"))).EnsureSuccessStatusCode();
        await StartedAppAsync("one", 3, "256M"); // 768M, 3 instances in use

        // Total memory: 768M used + 512M asked > 1024M.
        var before = await UsageAsync();
        await ProblemAssert.IsProblemAsync(await _admin.PostAsJsonAsync(Apps, new AppRequest("two", 1, "512M")),
            HttpStatusCode.UnprocessableEntity, "space quota \"small\": 1024M of memory, 768M in use, 512M asked");
        // Memory per instance.
        await ProblemAssert.IsProblemAsync(await _admin.PostAsJsonAsync(Apps, new AppRequest("big", 1, "768M")),
            HttpStatusCode.UnprocessableEntity, "space quota \"small\": 512M of memory per instance, 768M asked");
        // Instances: 3 in use + 2 asked > 4 (and memory would fit at 64M each).
        await ProblemAssert.IsProblemAsync(await _admin.PostAsJsonAsync($"{Apps}/one/scale", new ScaleRequest(5, "64M")),
            HttpStatusCode.UnprocessableEntity, "space quota \"small\": 4 app instances, 3 in use, 2 asked");
        Assert.Equal(before, await UsageAsync());
        await using (var db = _host.Db())
            Assert.Equal((3, 256), await db.Apps.Where(a => a.Name == "one").Select(a => new { a.Instances, a.MemoryMb }).SingleAsync() is var x ? (x.Instances, x.MemoryMb) : default);

        // Apps: two more small ones fit, a fourth does not.
        (await _admin.PostAsJsonAsync(Apps, new AppRequest("two", 1, "64M"))).EnsureSuccessStatusCode();
        (await _admin.PostAsJsonAsync(Apps, new AppRequest("three", 0, "64M"))).EnsureSuccessStatusCode();
        await ProblemAssert.IsProblemAsync(await _admin.PostAsJsonAsync(Apps, new AppRequest("four", 0, "64M")),
            HttpStatusCode.UnprocessableEntity, "space quota \"small\": 3 apps, 3 in use, 1 asked");

        // The org's quota applies across its spaces too.
        (await _admin.PostAsJsonAsync("/v1/org-quotas", new QuotaRequest("tiny-org", "900M"))).EnsureSuccessStatusCode();
        (await _admin.PutAsJsonAsync($"/v1/orgs/{_org}/quota", new AssignQuotaRequest("tiny-org"))).EnsureSuccessStatusCode();
        // Stopped apps ("two", "three") do not count: 768M in use.
        await ProblemAssert.IsProblemAsync(await _admin.PostAsJsonAsync($"{Apps}/one/scale", new ScaleRequest(Memory: "320M")),
            HttpStatusCode.UnprocessableEntity, "org quota \"tiny-org\": 900M of memory, 768M in use, 192M asked");
        Assert.Equal((3, 768), await UsageAsync());
    }

    [Theory]
    [InlineData("/v1/orgs", "Bad_Name", "not a valid org name")]
    [InlineData("/v1/orgs", "", "not a valid org name")]
    [InlineData("/v1/orgs", "a-very-long-name-that-goes-on-and-on-and-on-past-sixty-three-characters", "not a valid org name")]
    public async Task Invalid_org_names_are_400(string path, string name, string error) =>
        await ProblemAssert.IsProblemAsync(await _admin.PostAsJsonAsync(path, new NameRequest(name)), HttpStatusCode.BadRequest, error);

    [Fact]
    public async Task Bad_tenancy_input_gets_a_clear_error()
    {
        await ProblemAssert.IsProblemAsync(await _admin.PostAsJsonAsync($"/v1/orgs/{_org}/spaces", new NameRequest("Not Valid")), HttpStatusCode.BadRequest, "not a valid space name");
        await ProblemAssert.IsProblemAsync(await _admin.PostAsJsonAsync("/v1/orgs", new NameRequest("quota-org")), HttpStatusCode.Conflict, "exists already");
        await ProblemAssert.IsProblemAsync(await _admin.PostAsJsonAsync($"/v1/orgs/{_org}/spaces", new NameRequest("small")), HttpStatusCode.Conflict, "has a space 'small' already");
        (await _admin.PostAsJsonAsync("/v1/users", new UserRequest("carol", "carol-password"))).EnsureSuccessStatusCode();
        await ProblemAssert.IsProblemAsync(await _admin.PostAsJsonAsync("/v1/users", new UserRequest("carol", "carol-password")), HttpStatusCode.Conflict, "exists already");
        await ProblemAssert.IsProblemAsync(await _admin.PostAsJsonAsync("/v1/users", new UserRequest("dave", "short")), HttpStatusCode.BadRequest, "at least 8");
        await ProblemAssert.IsProblemAsync(await _admin.PostAsJsonAsync("/v1/users", new UserRequest("eve", "eve-password", "root")), HttpStatusCode.BadRequest, "role must be one of");

        await ProblemAssert.IsProblemAsync(await _admin.PutAsync($"/v1/spaces/{_space}/users/carol/roles/SpaceWizard", null), HttpStatusCode.BadRequest, "'SpaceWizard' is not a space role");
        await ProblemAssert.IsProblemAsync(await _admin.PutAsync($"/v1/orgs/{_org}/users/carol/roles/SpaceDeveloper", null), HttpStatusCode.BadRequest, "is not an org role");
        await ProblemAssert.IsProblemAsync(await _admin.PutAsync($"/v1/spaces/{_space}/users/nobody-here/roles/SpaceDeveloper", null), HttpStatusCode.NotFound, "user 'nobody-here' not found");
        await ProblemAssert.IsProblemAsync(await _admin.DeleteAsync($"/v1/spaces/{_space}/users/carol/roles/SpaceDeveloper"), HttpStatusCode.NotFound, "carol does not have the role SpaceDeveloper");
        // A space role makes its user an OrgUser, and that cannot go while the space role stays.
        Assert.Equal(HttpStatusCode.NoContent, (await _admin.PutAsync($"/v1/spaces/{_space}/users/carol/roles/spacedeveloper", null)).StatusCode);
        var members = await _admin.GetFromJsonAsync<List<MemberResponse>>($"/v1/orgs/{_org}/users");
        Assert.Equal(["OrgUser"], members!.Single(m => m.Username == "carol").Roles);
        await ProblemAssert.IsProblemAsync(await _admin.DeleteAsync($"/v1/orgs/{_org}/users/carol/roles/OrgUser"), HttpStatusCode.UnprocessableEntity, "still has roles in spaces");

        foreach (var (q, error) in new[]
                 {
                     (new QuotaRequest("neg", "-1G"), "memory:"),
                     (new QuotaRequest("absurd", "999999999999T"), "memory:"),
                     (new QuotaRequest("neg-apps", "1G", Apps: -1), "apps must be between 0 and"),
                     (new QuotaRequest("many", "1G", AppInstances: 2_000_000), "appInstances must be between 0 and"),
                     (new QuotaRequest("inverted", "1G", "2G"), "cannot be more than the total memory"),
                     (new QuotaRequest("Bad Name", "1G"), "not a valid quota name"),
                 })
            await ProblemAssert.IsProblemAsync(await _admin.PostAsJsonAsync("/v1/org-quotas", q), HttpStatusCode.BadRequest, error);
        await ProblemAssert.IsProblemAsync(await _admin.PutAsJsonAsync($"/v1/spaces/{_space}/quota", new AssignQuotaRequest("no-such")), HttpStatusCode.NotFound, "no space quota 'no-such'");
        await using var db = _host.Db();
        Assert.False(await db.Quotas.AnyAsync(q => q.Name != "small" && q.Name != "tiny-org"));
    }
}
