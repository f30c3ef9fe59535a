using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Platform.Api.Access;
using Platform.Contracts.Api;
using Xunit.Abstractions;

namespace Platform.Api.Tests;

/// <summary>
/// Walks every endpoint the API maps (from the app's own endpoint list, so a new endpoint cannot be forgotten) with
/// every kind of caller: no credentials -> 401; a user with no role in the space or org -> 404 (existence not
/// leaked); an auditor -> reads allowed, writes 403; a developer -> allowed, except managing; admin-only -> 403 for
/// everyone else. "Allowed" means the access rule let the call through: whatever the endpoint then answered, it was
/// not 401, 403, nor "space/org not found".
/// </summary>
public sealed class TenancySuiteTests(ITestOutputHelper output) : IAsyncLifetime
{
    private ApiHost _host = null!;
    private HttpClient _admin = null!;
    private Guid _org, _space;
    private readonly Dictionary<string, HttpClient> _users = [];
    private const string App = "suite-app";
    private string _buildId = "";
    private const string Password = "suite-password-1";

    public async Task InitializeAsync()
    {
        _host = await ApiHost.StartAsync();
        _admin = await _host.AdminClientAsync();
        _org = (await Created<OrgResponse>(await _admin.PostAsJsonAsync("/v1/orgs", new NameRequest("suite-org")))).Id;
        _space = (await Created<SpaceResponse>(await _admin.PostAsJsonAsync($"/v1/orgs/{_org}/spaces", new NameRequest("suite-space")))).Id;
        (await _admin.PostAsJsonAsync($"/v1/spaces/{_space}/apps", new AppRequest(App))).EnsureSuccessStatusCode();
        (await _admin.PutAsync($"/v1/spaces/{_space}/apps/{App}/package",
            new ByteArrayContent(Zips.Make(("index.html", "hi"))) { Headers = { ContentType = new("application/zip") } })).EnsureSuccessStatusCode();
        _buildId = (await Created<BuildResponse>(await _admin.PostAsync($"/v1/spaces/{_space}/apps/{App}/builds", null))).Id.ToString();
        foreach (var (user, role) in new[] { ("nobody", null), ("auditor", "SpaceAuditor"), ("developer", "SpaceDeveloper"), ("target", null) })
        {
            (await _admin.PostAsJsonAsync("/v1/users", new UserRequest(user, Password))).EnsureSuccessStatusCode();
            if (role is not null) (await _admin.PutAsync($"/v1/spaces/{_space}/users/{user}/roles/{role}", null)).EnsureSuccessStatusCode();
            var client = _host.Client();
            var token = await (await client.PostAsJsonAsync("/v1/tokens", new TokenRequest(user, Password))).Content.ReadFromJsonAsync<TokenResponse>();
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token!.AccessToken);
            _users[user] = client;
        }
    }

    public async Task DisposeAsync()
    {
        foreach (var c in _users.Values) c.Dispose();
        _admin.Dispose();
        await _host.DisposeAsync();
    }

    private static async Task<T> Created<T>(HttpResponseMessage r)
    {
        Assert.True(r.IsSuccessStatusCode, $"{(int)r.StatusCode}: {await r.Content.ReadAsStringAsync()}");
        return (await r.Content.ReadFromJsonAsync<T>())!;
    }

    private sealed record Probe(string Method, string Template, string Path, AccessRule Rule);

    private List<Probe> Endpoints()
    {
        var probes = new List<Probe>();
        var missing = new List<string>();
        foreach (var endpoint in _host.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>())
        {
            var template = endpoint.RoutePattern.RawText ?? "";
            var methods = endpoint.Metadata.GetMetadata<Microsoft.AspNetCore.Routing.HttpMethodMetadata>()?.HttpMethods ?? ["GET"];
            var rules = endpoint.Metadata.GetOrderedMetadata<AccessRule>();
            if (rules.Count != 1)
            {
                missing.Add($"{string.Join(",", methods)} {template} has {rules.Count} access rules");
                continue;
            }
            foreach (var method in methods) probes.Add(new Probe(method, template, Fill(template), rules[0]));
        }
        Assert.True(missing.Count == 0, "every endpoint declares exactly one access rule:\n" + string.Join("\n", missing));
        // Destructive calls last, so the others still find what they act on; logging out (which ends the caller's own
        // session) the very last.
        return probes.OrderBy(p => p.Template == "/v1/tokens/current").ThenBy(p => p.Method == "DELETE")
            .ThenBy(p => p.Template, StringComparer.Ordinal).ToList();
    }

    private string Fill(string template)
    {
        var path = template
            .Replace("{space}", _space.ToString()).Replace("{org}", _org.ToString())
            .Replace("{name}", App).Replace("{id:guid}", _buildId).Replace("{id}", _buildId)
            .Replace("{username}", "target").Replace("{variable}", "SUITE_VAR").Replace("{tokenName}", "suite-token")
            .Replace("{domain}", "suite.example").Replace("{documentName?}", "v1").Replace("{documentName}", "v1")
            .Replace("{*path:nonfile}", "some/page"); // the dashboard's fallback
        // A role fitting the route: org roles under /orgs, space roles under /spaces.
        path = path.Replace("{role}", template.Contains("/orgs/", StringComparison.Ordinal) ? "OrgAuditor" : "SpaceAuditor");
        Assert.DoesNotContain("{", path);
        return path.StartsWith('/') ? path : "/" + path;
    }

    private static async Task<(HttpStatusCode Status, string Title, string Body)> CallAsync(HttpClient client, Probe probe)
    {
        using var request = new HttpRequestMessage(new HttpMethod(probe.Method), probe.Path);
        if (probe.Method is "POST" or "PUT" or "PATCH") request.Content = new StringContent("{}", Encoding.UTF8, "application/json");
        // A stream the rule let through stays open (for Api:StreamMaxSeconds): its status and headers are the answer.
        using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        if (response.Content.Headers.ContentType?.MediaType == "text/event-stream") return (response.StatusCode, "", "(a stream)");
        var body = await response.Content.ReadAsStringAsync();
        var title = "";
        try { if (JsonDocument.Parse(body).RootElement is { ValueKind: JsonValueKind.Object } root && root.TryGetProperty("title", out var t)) title = t.GetString() ?? ""; }
        catch (JsonException) { }
        return (response.StatusCode, title, body);
    }

    private static bool NotFoundScope((HttpStatusCode Status, string Title, string Body) r) =>
        r.Status == HttpStatusCode.NotFound && r.Title is "Space not found" or "Org not found";

    private static bool Allowed((HttpStatusCode Status, string Title, string Body) r) =>
        r.Status is not (HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden) && !NotFoundScope(r);

    [Fact]
    public async Task Every_endpoint_answers_each_kind_of_caller_by_its_access_rule()
    {
        var probes = Endpoints();
        Assert.Contains(probes, p => p.Rule is SpaceAccessRule);
        Assert.Contains(probes, p => p.Rule is OrgAccessRule);
        Assert.Contains(probes, p => p.Rule is AdminAccess);
        var failures = new List<string>();
        void Expect(bool ok, Probe p, string who, (HttpStatusCode Status, string Title, string Body) r, string expected)
        {
            if (!ok) failures.Add($"{p.Method} {p.Template} as {who}: expected {expected}, got {(int)r.Status} {r.Title}: {r.Body[..Math.Min(r.Body.Length, 200)]}");
        }

        using var anonymous = _host.Client();
        foreach (var p in probes)
        {
            var r = await CallAsync(anonymous, p);
            if (p.Rule is AnonymousAccess) Expect(r.Status != HttpStatusCode.Unauthorized, p, "anonymous", r, "no 401");
            else Expect(r.Status == HttpStatusCode.Unauthorized, p, "anonymous", r, "401");
        }
        foreach (var (who, client) in new[] { ("nobody", _users["nobody"]), ("auditor", _users["auditor"]), ("developer", _users["developer"]) })
        {
            foreach (var p in probes)
            {
                var r = await CallAsync(client, p);
                switch (p.Rule)
                {
                    case AnonymousAccess or AnyUserAccess:
                        Expect(Allowed(r), p, who, r, "allowed");
                        break;
                    case AdminAccess:
                        Expect(r.Status == HttpStatusCode.Forbidden, p, who, r, "403");
                        break;
                    case RouterCredentialAccess:
                        Expect(r.Status == HttpStatusCode.Unauthorized, p, who, r, "401: a user's token is no router credential");
                        break;
                    case SpaceAccessRule s when who == "nobody":
                        Expect(NotFoundScope(r), p, who, r, "404 space not found");
                        break;
                    case SpaceAccessRule s:
                        var may = who == "auditor" ? s.Action == SpaceAction.Read : s.Action is not (SpaceAction.Manage or SpaceAction.ManageQuota or SpaceAction.BindSecurityGroups);
                        Expect(may ? Allowed(r) : r.Status == HttpStatusCode.Forbidden, p, who, r, may ? "allowed" : "403");
                        break;
                    case OrgAccessRule o when who == "nobody":
                        Expect(NotFoundScope(r), p, who, r, "404 org not found");
                        break;
                    case OrgAccessRule o:
                        // A space member is an OrgUser of the org: may look, may not manage.
                        Expect(o.Action == OrgAction.Read ? Allowed(r) : r.Status == HttpStatusCode.Forbidden, p, who, r, o.Action == OrgAction.Read ? "allowed" : "403");
                        break;
                }
            }
        }
        foreach (var p in probes.Where(p => p.Rule is AdminAccess or OrgAccessRule or SpaceAccessRule or RouterCredentialAccess))
        {
            var r = await CallAsync(_admin, p);
            if (p.Rule is RouterCredentialAccess) Expect(r.Status == HttpStatusCode.Unauthorized, p, "admin", r, "401");
            else Expect(Allowed(r), p, "admin", r, "allowed");
        }

        output.WriteLine($"{probes.Count} endpoint/method pairs walked as anonymous, nobody, auditor, developer and admin");
        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    [Fact]
    public async Task A_forbidden_call_says_which_role_is_needed_and_a_space_outside_yours_is_not_found()
    {
        var auditor = _users["auditor"];
        var scale = await auditor.PostAsJsonAsync($"/v1/spaces/{_space}/apps/{App}/scale", new ScaleRequest(3));
        await ProblemAssert.IsProblemAsync(scale, HttpStatusCode.Forbidden, "SpaceDeveloper");
        await ProblemAssert.IsProblemAsync(scale, HttpStatusCode.Forbidden, "auditor has OrgUser, SpaceAuditor");
        // The same 404 for a space that exists and one that does not.
        var other = await _users["nobody"].GetAsync($"/v1/spaces/{_space}/apps");
        var none = await _users["nobody"].GetAsync($"/v1/spaces/{Guid.NewGuid()}/apps");
        Assert.Equal((HttpStatusCode.NotFound, HttpStatusCode.NotFound), (other.StatusCode, none.StatusCode));
        Assert.Equal((await ProblemAssert.IsProblemAsync(other, HttpStatusCode.NotFound, "not found")).Title,
            (await ProblemAssert.IsProblemAsync(none, HttpStatusCode.NotFound, "not found")).Title);
        // Lists show only what the caller may see.
        Assert.Empty((await _users["nobody"].GetFromJsonAsync<List<SpaceResponse>>("/v1/spaces"))!);
        Assert.Empty((await _users["nobody"].GetFromJsonAsync<List<OrgResponse>>("/v1/orgs"))!);
        Assert.Empty((await _users["nobody"].GetFromJsonAsync<List<EventResponse>>("/v1/events"))!);
        var auditorSpaces = (await auditor.GetFromJsonAsync<List<SpaceResponse>>("/v1/spaces"))!;
        Assert.Equal(["suite-space"], auditorSpaces.Select(s => s.Name));
        Assert.Equal(["Read"], auditorSpaces[0].Actions);
        Assert.All((await auditor.GetFromJsonAsync<List<EventResponse>>("/v1/events"))!, e => Assert.Equal(_space, e.SpaceId));
    }
}
