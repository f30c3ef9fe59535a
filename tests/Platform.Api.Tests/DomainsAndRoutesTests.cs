using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using Microsoft.EntityFrameworkCore;
using Platform.Contracts.Api;
using Platform.Contracts.Messages;
using Platform.Data.Entities;

namespace Platform.Api.Tests;

/// <summary>
/// Domains (the default shared one seeded from Api:AppsDomain, shared ones by admins, private ones by org managers)
/// and routes of a space (several per app, several apps behind one host by path, unmapped routes), through the real
/// API: what the router's route table then holds, the AppDesiredStateChanged in the outbox for each change, and a clear
/// refusal, with nothing changed, for each kind of bad route.
/// </summary>
public sealed class DomainsAndRoutesTests : IAsyncLifetime
{
    private const string RouterToken = "router-secret-for-tests";
    private ApiHost _host = null!;
    private HttpClient _admin = null!;
    private Guid _org, _space, _otherOrg, _otherSpace;

    public async Task InitializeAsync()
    {
        _host = await ApiHost.StartAsync(new Dictionary<string, string?> { ["Api:AppsDomain"] = "apps.test", ["Api:RouterToken"] = RouterToken });
        _admin = await _host.AdminClientAsync();
        _org = await CreateAsync<OrgResponse>("/v1/orgs", new NameRequest("acme"), r => r.Id);
        _space = await CreateAsync<SpaceResponse>($"/v1/orgs/{_org}/spaces", new NameRequest("prod"), r => r.Id);
        _otherOrg = await CreateAsync<OrgResponse>("/v1/orgs", new NameRequest("rival"), r => r.Id);
        _otherSpace = await CreateAsync<SpaceResponse>($"/v1/orgs/{_otherOrg}/spaces", new NameRequest("prod"), r => r.Id);
    }

    public async Task DisposeAsync()
    {
        _admin.Dispose();
        await _host.DisposeAsync();
    }

    private async Task<Guid> CreateAsync<T>(string url, object body, Func<T, Guid> id)
    {
        var r = await _admin.PostAsJsonAsync(url, body);
        Assert.True(r.IsSuccessStatusCode, await r.Content.ReadAsStringAsync());
        return id((await r.Content.ReadFromJsonAsync<T>())!);
    }

    private string Space(Guid space) => $"/v1/spaces/{space}";

    private async Task<RouteTableSnapshot> RouteTableAsync()
    {
        using var router = _host.Client();
        router.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", RouterToken);
        return (await router.GetFromJsonAsync<RouteTableSnapshot>("/v1/internal/route-table"))!;
    }

    private async Task<int> RouteChangesAsync(Guid appId)
    {
        await using var db = _host.Db();
        return (await db.OutboxMessages.ToListAsync()).Count(m => m.MessageType.EndsWith(nameof(AppDesiredStateChanged)) && m.Body.Contains(appId.ToString()));
    }

    private async Task<(int Routes, int Domains, int Events)> CountsAsync()
    {
        await using var db = _host.Db();
        return (await db.Routes.CountAsync(), await db.Domains.CountAsync(), await db.Events.CountAsync());
    }

    [Fact]
    public async Task The_apps_domain_is_the_default_shared_domain_and_new_apps_get_their_route_on_it()
    {
        var domains = (await _admin.GetFromJsonAsync<List<DomainResponse>>("/v1/domains"))!;
        var apps = Assert.Single(domains, d => d.Name == "apps.test");
        Assert.True(apps.Shared && apps.Default);

        var app = await CreateAsync<AppResponse>($"{Space(_space)}/apps", new AppRequest("web"), a => a.Id);
        var routes = (await _admin.GetFromJsonAsync<List<RouteResponse>>($"{Space(_space)}/routes"))!;
        var route = Assert.Single(routes);
        Assert.Equal(("web", "apps.test", "", "web.apps.test", "http1", "web"), (route.Host, route.Domain, route.Path, route.Url, route.Protocol, route.App));
        Assert.Contains(new RouteTableRoute("web.apps.test", "", app, "web", "http1"), (await RouteTableAsync()).Routes);
        var refused = await _admin.DeleteAsync("/v1/domains/apps.test");
        await ProblemAssert.IsProblemAsync(refused, HttpStatusCode.UnprocessableEntity, "default domain");
    }

    [Fact]
    public async Task Several_routes_per_app_and_several_apps_behind_one_host_by_path_are_in_the_route_table_at_once()
    {
        var web = await CreateAsync<AppResponse>($"{Space(_space)}/apps", new AppRequest("shop"), a => a.Id);
        var api = await CreateAsync<AppResponse>($"{Space(_space)}/apps", new AppRequest("shop-api"), a => a.Id);
        var before = await RouteChangesAsync(api);
        var mapped = await _admin.PostAsJsonAsync($"{Space(_space)}/apps/shop-api/routes", new RouteRequest("apps.test", "shop", "/api/", "http2"));
        Assert.True(mapped.IsSuccessStatusCode, await mapped.Content.ReadAsStringAsync());
        Assert.Equal(["shop-api.apps.test", "shop.apps.test/api"], (await mapped.Content.ReadFromJsonAsync<AppResponse>())!.Routes);
        Assert.Equal(before + 1, await RouteChangesAsync(api)); // routers reload at once

        var table = (await RouteTableAsync()).Routes;
        Assert.Contains(new RouteTableRoute("shop.apps.test", "", web, "shop", "http1"), table);
        Assert.Contains(new RouteTableRoute("shop.apps.test", "/api", api, "shop-api", "http2"), table);

        // Mapping again is no change: no new message.
        (await _admin.PostAsJsonAsync($"{Space(_space)}/apps/shop-api/routes", new RouteRequest("apps.test", "shop", "/api"))).EnsureSuccessStatusCode();
        Assert.Equal(before + 1, await RouteChangesAsync(api));
        Assert.Contains(new RouteTableRoute("shop.apps.test", "/api", api, "shop-api", "http2"), (await RouteTableAsync()).Routes); // the protocol stays

        // Unmapped: out of the route table at once, still in the space; then deleted.
        var unmap = await _admin.DeleteAsync($"{Space(_space)}/apps/shop-api/routes?domain=apps.test&host=shop&path=/api");
        Assert.True(unmap.IsSuccessStatusCode, await unmap.Content.ReadAsStringAsync());
        Assert.Equal(before + 2, await RouteChangesAsync(api));
        Assert.DoesNotContain((await RouteTableAsync()).Routes, r => r.Path == "/api");
        var kept = (await _admin.GetFromJsonAsync<List<RouteResponse>>($"{Space(_space)}/routes"))!.Single(r => r.Url == "shop.apps.test/api");
        Assert.Null(kept.App);
        Assert.Equal(HttpStatusCode.NoContent, (await _admin.DeleteAsync($"{Space(_space)}/routes?domain=apps.test&host=shop&path=/api")).StatusCode);
        Assert.DoesNotContain((await _admin.GetFromJsonAsync<List<RouteResponse>>($"{Space(_space)}/routes"))!, r => r.Url == "shop.apps.test/api");
    }

    [Fact]
    public async Task Private_domains_belong_to_their_org_and_shared_ones_are_made_by_admins()
    {
        var shared = await _admin.PostAsJsonAsync("/v1/domains", new NameRequest("Example.COM."));
        Assert.Equal(HttpStatusCode.Created, shared.StatusCode);
        Assert.Equal("example.com", (await shared.Content.ReadFromJsonAsync<DomainResponse>())!.Name);
        Assert.Equal(HttpStatusCode.Created, (await _admin.PostAsJsonAsync($"/v1/orgs/{_org}/domains", new NameRequest("acme.io"))).StatusCode);

        // An org cannot take host names under another org's or a shared domain, nor above them.
        await ProblemAssert.IsProblemAsync(await _admin.PostAsJsonAsync($"/v1/orgs/{_otherOrg}/domains", new NameRequest("shop.acme.io")),
            HttpStatusCode.UnprocessableEntity, "overlaps the private domain acme.io");
        await ProblemAssert.IsProblemAsync(await _admin.PostAsJsonAsync($"/v1/orgs/{_otherOrg}/domains", new NameRequest("web.apps.test")),
            HttpStatusCode.UnprocessableEntity, "overlaps the shared domain apps.test");
        await ProblemAssert.IsProblemAsync(await _admin.PostAsJsonAsync($"/v1/orgs/{_otherOrg}/domains", new NameRequest("test")),
            HttpStatusCode.BadRequest, "not a valid domain name");
        await ProblemAssert.IsProblemAsync(await _admin.PostAsJsonAsync("/v1/domains", new NameRequest("acme.io")), HttpStatusCode.Conflict, "exists already");

        // The org's members see its private domain; another org's do not.
        (await _admin.PostAsJsonAsync("/v1/users", new UserRequest("rival-dev", "rival-password-1"))).EnsureSuccessStatusCode();
        (await _admin.PutAsync($"{Space(_otherSpace)}/users/rival-dev/roles/SpaceDeveloper", null)).EnsureSuccessStatusCode();
        using var rival = _host.Client();
        var token = await (await rival.PostAsJsonAsync("/v1/tokens", new TokenRequest("rival-dev", "rival-password-1"))).Content.ReadFromJsonAsync<TokenResponse>();
        rival.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token!.AccessToken);
        var seen = (await rival.GetFromJsonAsync<List<DomainResponse>>("/v1/domains"))!.Select(d => d.Name).ToList();
        Assert.Contains("example.com", seen);
        Assert.DoesNotContain("acme.io", seen);

        await CreateAsync<AppResponse>($"{Space(_otherSpace)}/apps", new AppRequest("intruder"), a => a.Id);
        var before = await CountsAsync();
        await ProblemAssert.IsProblemAsync(await rival.PostAsJsonAsync($"{Space(_otherSpace)}/apps/intruder/routes", new RouteRequest("acme.io", "www")),
            HttpStatusCode.UnprocessableEntity, "the domain 'acme.io' is private to another org");
        await ProblemAssert.IsProblemAsync(await rival.PostAsJsonAsync($"/v1/orgs/{_otherOrg}/domains", new NameRequest("rival.io")),
            HttpStatusCode.Forbidden, "OrgManager");
        Assert.Equal(before, await CountsAsync());

        // A domain with routes stays until they are deleted.
        await CreateAsync<AppResponse>($"{Space(_space)}/apps", new AppRequest("site"), a => a.Id);
        (await _admin.PostAsJsonAsync($"{Space(_space)}/apps/site/routes", new RouteRequest("acme.io", "www"))).EnsureSuccessStatusCode();
        await ProblemAssert.IsProblemAsync(await _admin.DeleteAsync($"/v1/orgs/{_org}/domains/acme.io"), HttpStatusCode.UnprocessableEntity, "has 1 route(s)");
        (await _admin.DeleteAsync($"{Space(_space)}/routes?domain=acme.io&host=www")).EnsureSuccessStatusCode();
        Assert.Equal(HttpStatusCode.NoContent, (await _admin.DeleteAsync($"/v1/orgs/{_org}/domains/acme.io")).StatusCode);
    }

    [Theory]
    [InlineData("nope.test", "web", "", HttpStatusCode.NotFound, "the domain 'nope.test' does not exist")]
    [InlineData("apps.test", "Web_1", "", HttpStatusCode.BadRequest, "'web_1' is not a valid host name")]
    [InlineData("apps.test", "-web", "", HttpStatusCode.BadRequest, "is not a valid host name")]
    [InlineData("apps.test", "*", "", HttpStatusCode.BadRequest, "wildcard routes")]
    [InlineData("apps.test", "web", "/a/../b", HttpStatusCode.BadRequest, "may not have empty, '.' or '..' segments")]
    [InlineData("apps.test", "web", "/a?b", HttpStatusCode.BadRequest, "no '?'")]
    [InlineData("apps.test", "web", "api", HttpStatusCode.BadRequest, "must start with '/'")]
    [InlineData("apps.test", "web", "/", HttpStatusCode.BadRequest, "may not be just '/'")]
    public async Task A_bad_route_is_refused_with_a_clear_error_and_nothing_changes(string domain, string host, string path, HttpStatusCode status, string detail)
    {
        var app = "bad-" + Guid.NewGuid().ToString("N")[..8];
        await CreateAsync<AppResponse>($"{Space(_space)}/apps", new AppRequest(app), a => a.Id);
        var before = await CountsAsync();
        await ProblemAssert.IsProblemAsync(await _admin.PostAsJsonAsync($"{Space(_space)}/apps/{app}/routes", new RouteRequest(domain, host, path)), status, detail);
        await ProblemAssert.IsProblemAsync(await _admin.PostAsJsonAsync($"{Space(_space)}/routes", new RouteRequest(domain, host, path)), status, detail);
        Assert.Equal(before, await CountsAsync());
    }

    [Fact]
    public async Task A_route_taken_by_another_space_or_app_is_a_conflict_and_the_route_quota_holds()
    {
        await CreateAsync<AppResponse>($"{Space(_space)}/apps", new AppRequest("owner"), a => a.Id);
        await CreateAsync<AppResponse>($"{Space(_space)}/apps", new AppRequest("neighbour"), a => a.Id);
        await CreateAsync<AppResponse>($"{Space(_otherSpace)}/apps", new AppRequest("squatter"), a => a.Id);
        var before = await CountsAsync();
        await ProblemAssert.IsProblemAsync(await _admin.PostAsJsonAsync($"{Space(_otherSpace)}/apps/squatter/routes", new RouteRequest("apps.test", "owner")),
            HttpStatusCode.Conflict, "the route owner.apps.test is taken by another space");
        await ProblemAssert.IsProblemAsync(await _admin.PostAsJsonAsync($"{Space(_space)}/apps/neighbour/routes", new RouteRequest("apps.test", "owner")),
            HttpStatusCode.Conflict, "is mapped to the app owner: unmap it first");
        // An app whose default route another space has is refused, not half made.
        await ProblemAssert.IsProblemAsync(await _admin.PostAsJsonAsync($"{Space(_otherSpace)}/apps", new AppRequest("owner")), HttpStatusCode.Conflict, "owner.apps.test is taken");
        Assert.Equal(before, await CountsAsync());

        var quota = await _admin.PostAsJsonAsync($"/v1/orgs/{_otherOrg}/space-quotas", new QuotaRequest("two-routes", Routes: 2));
        Assert.True(quota.IsSuccessStatusCode, await quota.Content.ReadAsStringAsync());
        (await _admin.PutAsJsonAsync($"{Space(_otherSpace)}/quota", new AssignQuotaRequest("two-routes"))).EnsureSuccessStatusCode();
        (await _admin.PostAsJsonAsync($"{Space(_otherSpace)}/apps/squatter/routes", new RouteRequest("apps.test", "second"))).EnsureSuccessStatusCode();
        await ProblemAssert.IsProblemAsync(await _admin.PostAsJsonAsync($"{Space(_otherSpace)}/apps/squatter/routes", new RouteRequest("apps.test", "third")),
            HttpStatusCode.UnprocessableEntity, "space quota \"two-routes\": 2 routes, 2 in use, 1 asked");
    }
}
