using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using Platform.Contracts;
using Platform.Contracts.Api;

namespace Platform.Api.Tests;

/// <summary>
/// Application security groups through the API: admins create, show, update, delete and make running defaults; admins
/// and org managers (for groups they see) bind them to spaces; space members list what their space gets. Bad rules
/// get a 400 that says what is wrong, unknown groups and spaces a 404, a duplicate name a 409.
/// </summary>
public sealed class SecurityGroupsTests : IAsyncLifetime
{
    private const string Password = "asg-password-1";
    private ApiHost _host = null!;
    private HttpClient _admin = null!;
    private Guid _org, _space, _otherOrg, _otherSpace;
    private readonly List<HttpClient> _clients = [];

    private static readonly List<SecurityGroupRule?> Postgres = [new("tcp", "10.0.0.0/8", "5432", Description: "platform database")];

    public async Task InitializeAsync()
    {
        _host = await ApiHost.StartAsync();
        _admin = await _host.AdminClientAsync();
        _org = (await Ok<OrgResponse>(await _admin.PostAsJsonAsync("/v1/orgs", new NameRequest("asg-org")))).Id;
        _space = (await Ok<SpaceResponse>(await _admin.PostAsJsonAsync($"/v1/orgs/{_org}/spaces", new NameRequest("dev")))).Id;
        _otherOrg = (await Ok<OrgResponse>(await _admin.PostAsJsonAsync("/v1/orgs", new NameRequest("other-org")))).Id;
        _otherSpace = (await Ok<SpaceResponse>(await _admin.PostAsJsonAsync($"/v1/orgs/{_otherOrg}/spaces", new NameRequest("prod")))).Id;
    }

    public async Task DisposeAsync()
    {
        foreach (var c in _clients) c.Dispose();
        _admin.Dispose();
        await _host.DisposeAsync();
    }

    private static async Task<T> Ok<T>(HttpResponseMessage r)
    {
        Assert.True(r.IsSuccessStatusCode, $"{(int)r.StatusCode}: {await r.Content.ReadAsStringAsync()}");
        return (await r.Content.ReadFromJsonAsync<T>())!;
    }

    private async Task<HttpClient> UserAsync(string name, string rolePath)
    {
        (await _admin.PostAsJsonAsync("/v1/users", new UserRequest(name, Password))).EnsureSuccessStatusCode();
        (await _admin.PutAsync(rolePath.Replace("{user}", name), null)).EnsureSuccessStatusCode();
        var client = _host.Client();
        var token = await Ok<TokenResponse>(await client.PostAsJsonAsync("/v1/tokens", new TokenRequest(name, Password)));
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token.AccessToken);
        _clients.Add(client);
        return client;
    }

    private Task<HttpResponseMessage> CreateAsync(HttpClient client, string name, List<SecurityGroupRule?>? rules) =>
        client.PostAsJsonAsync("/v1/security-groups", new SecurityGroupRequest(name, rules));

    [Fact]
    public async Task Admins_create_show_update_and_delete_groups_and_the_space_lists_what_it_gets()
    {
        var created = await CreateAsync(_admin, "platform-db", Postgres);
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var group = (await created.Content.ReadFromJsonAsync<SecurityGroupResponse>())!;
        Assert.Equal(("platform-db", false), (group.Name, group.RunningDefault));
        Assert.Equal(Postgres, group.Rules.Cast<SecurityGroupRule?>().ToList());

        // Cloud Foundry's JSON, as a rules file has it, is what the API takes.
        var raw = await _admin.PostAsync("/v1/security-groups", new StringContent(
            """{"name":"dns","rules":[{"protocol":"udp","destination":"10.0.0.2","ports":"53"},{"protocol":"icmp","destination":"0.0.0.0/0","type":0,"code":0}]}""",
            Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.Created, raw.StatusCode);

        await ProblemAssert.IsProblemAsync(await CreateAsync(_admin, "platform-db", Postgres), HttpStatusCode.Conflict, "'platform-db' exists already");

        (await _admin.PutAsync($"/v1/security-groups/platform-db/spaces/{_space}", null)).EnsureSuccessStatusCode();
        (await _admin.PutAsync("/v1/security-groups/dns/running", null)).EnsureSuccessStatusCode();
        var shown = await _admin.GetFromJsonAsync<SecurityGroupResponse>("/v1/security-groups/platform-db");
        Assert.Equal([new SecurityGroupSpaceResponse(_space, "dev", _org, "asg-org")], shown!.Spaces);
        var all = await _admin.GetFromJsonAsync<List<SecurityGroupResponse>>("/v1/security-groups");
        Assert.Equal(["dns", "platform-db"], all!.Select(g => g.Name));
        Assert.True(all![0].RunningDefault);

        var dev = await _admin.GetFromJsonAsync<List<SpaceSecurityGroupResponse>>($"/v1/spaces/{_space}/security-groups");
        Assert.Equal([("dns", false, true), ("platform-db", true, false)], dev!.Select(g => (g.Name, g.BoundToSpace, g.RunningDefault)));
        var prod = await _admin.GetFromJsonAsync<List<SpaceSecurityGroupResponse>>($"/v1/spaces/{_otherSpace}/security-groups");
        Assert.Equal(["dns"], prod!.Select(g => g.Name));

        // Update replaces the rules and may rename; the binding stays.
        List<SecurityGroupRule?> https = [new("tcp", "10.1.0.0-10.1.0.255", "443,8000-9000")];
        var updated = await Ok<SecurityGroupResponse>(await _admin.PutAsJsonAsync("/v1/security-groups/platform-db", new SecurityGroupRequest("platform-web", https)));
        Assert.Equal("platform-web", updated.Name);
        Assert.Equal(https, updated.Rules.Cast<SecurityGroupRule?>().ToList());
        Assert.Single(updated.Spaces);
        await ProblemAssert.IsProblemAsync(await _admin.PutAsJsonAsync("/v1/security-groups/platform-web", new SecurityGroupRequest("dns", https)),
            HttpStatusCode.Conflict, "'dns' exists already");

        (await _admin.DeleteAsync("/v1/security-groups/dns/running")).EnsureSuccessStatusCode();
        Assert.Equal(["platform-web"], (await _admin.GetFromJsonAsync<List<SpaceSecurityGroupResponse>>($"/v1/spaces/{_space}/security-groups"))!.Select(g => g.Name));
        (await _admin.DeleteAsync($"/v1/security-groups/platform-web/spaces/{_space}")).EnsureSuccessStatusCode();
        await ProblemAssert.IsProblemAsync(await _admin.DeleteAsync($"/v1/security-groups/platform-web/spaces/{_space}"),
            HttpStatusCode.NotFound, "is not bound to space asg-org/dev");
        Assert.Empty((await _admin.GetFromJsonAsync<List<SpaceSecurityGroupResponse>>($"/v1/spaces/{_space}/security-groups"))!);

        // Deleting a bound group unbinds it.
        (await _admin.PutAsync($"/v1/security-groups/platform-web/spaces/{_otherSpace}", null)).EnsureSuccessStatusCode();
        Assert.Equal(HttpStatusCode.NoContent, (await _admin.DeleteAsync("/v1/security-groups/platform-web")).StatusCode);
        await ProblemAssert.IsProblemAsync(await _admin.GetAsync("/v1/security-groups/platform-web"), HttpStatusCode.NotFound, "'platform-web' not found");
        await using var db = _host.Db();
        Assert.Empty(db.SecurityGroupSpaces.ToList());
    }

    public static TheoryData<string, string, string> BadRules => new()
    {
        { "bad-cidr", """[{"protocol":"tcp","destination":"10.0.0.0/33","ports":"443"}]""", "rule 0: destination '10.0.0.0/33' is not an IPv4 address, CIDR" },
        { "bad-address", """[{"protocol":"tcp","destination":"10.0.300.1","ports":"443"}]""", "rule 0: destination '10.0.300.1' is not" },
        { "bad-range", """[{"protocol":"tcp","destination":"10.0.0.9-10.0.0.1"}]""", "range '10.0.0.9-10.0.0.1' ends before it starts" },
        { "no-destination", """[{"protocol":"tcp","ports":"443"}]""", "rule 0: destination must be an IPv4 address" },
        { "port-high", """[{"protocol":"tcp","destination":"10.0.0.1","ports":"70000"}]""", "ports '70000' must be ports or ranges of 1-65535" },
        { "port-zero", """[{"protocol":"udp","destination":"10.0.0.1","ports":"0"}]""", "ports '0' must be ports or ranges of 1-65535" },
        { "port-backwards", """[{"protocol":"tcp","destination":"10.0.0.1","ports":"9000-8000"}]""", "ports '9000-8000' must be" },
        { "protocol", """[{"protocol":"sctp","destination":"10.0.0.1"}]""", "rule 0: protocol must be one of tcp, udp, icmp, all, not 'sctp'" },
        { "icmp-ports", """[{"protocol":"icmp","destination":"10.0.0.1","ports":"80"}]""", "ports are for tcp and udp, not icmp" },
        { "second", """[{"protocol":"all","destination":"0.0.0.0/0"},{"protocol":"tcp","destination":"nowhere"}]""", "rule 1: destination 'nowhere'" },
        { "null-rule", """[null]""", "rule 0 is null" },
        { "no-rules", """null""", "rules must be a JSON array" },
    };

    [Theory]
    [MemberData(nameof(BadRules))]
    public async Task Bad_rules_get_a_400_that_says_what_is_wrong_and_nothing_is_stored(string name, string rules, string expected)
    {
        var response = await _admin.PostAsync("/v1/security-groups",
            new StringContent($$"""{"name":"{{name}}","rules":{{rules}}}""", Encoding.UTF8, "application/json"));
        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.BadRequest, expected);
        await ProblemAssert.IsProblemAsync(await _admin.GetAsync($"/v1/security-groups/{name}"), HttpStatusCode.NotFound, "not found");
    }

    [Fact]
    public async Task Bad_names_unknown_groups_and_spaces_get_clear_errors_and_the_whole_internet_is_allowed()
    {
        await ProblemAssert.IsProblemAsync(await CreateAsync(_admin, "-bad name", Postgres), HttpStatusCode.BadRequest, "not a valid security group name");
        await ProblemAssert.IsProblemAsync(await CreateAsync(_admin, new string('a', 64), Postgres), HttpStatusCode.BadRequest, "not a valid security group name");
        await ProblemAssert.IsProblemAsync(await _admin.PostAsync("/v1/security-groups", new StringContent("[", Encoding.UTF8, "application/json")),
            HttpStatusCode.BadRequest, "");
        await ProblemAssert.IsProblemAsync(await _admin.PutAsJsonAsync("/v1/security-groups/platform-db", new SecurityGroupRequest(Rules: Postgres)),
            HttpStatusCode.NotFound, "security group 'platform-db' not found");
        await ProblemAssert.IsProblemAsync(await _admin.PutAsync($"/v1/security-groups/nope/spaces/{_space}", null), HttpStatusCode.NotFound, "'nope' not found");
        await ProblemAssert.IsProblemAsync(await _admin.PutAsync("/v1/security-groups/nope/running", null), HttpStatusCode.NotFound, "'nope' not found");
        Assert.Equal(HttpStatusCode.Created, (await CreateAsync(_admin, "public_networks", [new("all", "0.0.0.0/0")])).StatusCode);
        var unknownSpace = await _admin.PutAsync($"/v1/security-groups/public_networks/spaces/{Guid.NewGuid()}", null);
        Assert.Equal("Space not found", (await ProblemAssert.IsProblemAsync(unknownSpace, HttpStatusCode.NotFound, "not found")).Title);
        await ProblemAssert.IsProblemAsync(await _admin.PutAsJsonAsync("/v1/security-groups/public_networks", new SecurityGroupRequest()),
            HttpStatusCode.BadRequest, "rules must be a JSON array");
    }

    [Fact]
    public async Task Developers_cannot_define_or_bind_org_managers_bind_only_what_they_see_and_other_tenants_spaces_are_not_found()
    {
        (await CreateAsync(_admin, "platform-db", Postgres)).EnsureSuccessStatusCode();
        (await CreateAsync(_admin, "other-db", [new("tcp", "10.9.0.1", "5432")])).EnsureSuccessStatusCode();
        (await _admin.PutAsync($"/v1/security-groups/other-db/spaces/{_otherSpace}", null)).EnsureSuccessStatusCode();
        var developer = await UserAsync("dev1", $"/v1/spaces/{_space}/users/{{user}}/roles/SpaceDeveloper");
        var manager = await UserAsync("mgr1", $"/v1/orgs/{_org}/users/{{user}}/roles/OrgManager");

        await ProblemAssert.IsProblemAsync(await CreateAsync(developer, "mine", Postgres), HttpStatusCode.Forbidden, "only platform admins");
        await ProblemAssert.IsProblemAsync(await CreateAsync(manager, "mine", Postgres), HttpStatusCode.Forbidden, "only platform admins");
        await ProblemAssert.IsProblemAsync(await developer.GetAsync("/v1/security-groups"), HttpStatusCode.Forbidden, "only platform admins");
        await ProblemAssert.IsProblemAsync(await developer.PutAsync($"/v1/security-groups/platform-db/spaces/{_space}", null),
            HttpStatusCode.Forbidden, "OrgManager");
        await ProblemAssert.IsProblemAsync(await developer.PutAsync("/v1/security-groups/platform-db/running", null), HttpStatusCode.Forbidden, "only platform admins");

        // An org manager does not see a group no space of their org has: not found, whether it exists or not.
        await ProblemAssert.IsProblemAsync(await manager.PutAsync($"/v1/security-groups/platform-db/spaces/{_space}", null), HttpStatusCode.NotFound, "'platform-db' not found");
        await ProblemAssert.IsProblemAsync(await manager.PutAsync($"/v1/security-groups/other-db/spaces/{_space}", null), HttpStatusCode.NotFound, "'other-db' not found");
        // Once the admin binds it to one space of the org, the manager may bind it to the org's others.
        (await _admin.PutAsync($"/v1/security-groups/platform-db/spaces/{_space}", null)).EnsureSuccessStatusCode();
        var staging = (await Ok<SpaceResponse>(await manager.PostAsJsonAsync($"/v1/orgs/{_org}/spaces", new NameRequest("staging")))).Id;
        Assert.Equal(HttpStatusCode.NoContent, (await manager.PutAsync($"/v1/security-groups/platform-db/spaces/{staging}", null)).StatusCode);
        Assert.Equal(["platform-db"], (await developer.GetFromJsonAsync<List<SpaceSecurityGroupResponse>>($"/v1/spaces/{_space}/security-groups"))!.Select(g => g.Name));

        // Another tenant's space does not exist for them.
        Assert.Equal("Space not found", (await ProblemAssert.IsProblemAsync(
            await manager.PutAsync($"/v1/security-groups/platform-db/spaces/{_otherSpace}", null), HttpStatusCode.NotFound, "not found")).Title);
        Assert.Equal("Space not found", (await ProblemAssert.IsProblemAsync(
            await developer.GetAsync($"/v1/spaces/{_otherSpace}/security-groups"), HttpStatusCode.NotFound, "not found")).Title);
        await using var db = _host.Db();
        Assert.Equal(2, db.SecurityGroupSpaces.Count(b => b.SpaceId != _otherSpace));
    }
}
