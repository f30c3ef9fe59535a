using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Platform.Api.Access;
using Platform.Contracts.Api;
using Xunit.Abstractions;

namespace Platform.Api.Tests;

/// <summary>
/// GET /openapi/v1.json against the endpoints the API really maps (from its own endpoint list, as the tenancy suite
/// walks them, so a new endpoint cannot be left out), and the reference page at /api-docs under its own CSP.
/// </summary>
public sealed partial class OpenApiTests(ITestOutputHelper output) : IAsyncLifetime
{
    private ApiHost _host = null!;
    private HttpClient _admin = null!;
    private JsonElement _document;
    private Guid _org, _space;
    private const string App = "openapi-app";

    public async Task InitializeAsync()
    {
        _host = await ApiHost.StartAsync();
        _admin = await _host.AdminClientAsync();
        _org = (await Created<OrgResponse>(await _admin.PostAsJsonAsync("/v1/orgs", new NameRequest("openapi-org")))).Id;
        _space = (await Created<SpaceResponse>(await _admin.PostAsJsonAsync($"/v1/orgs/{_org}/spaces", new NameRequest("openapi-space")))).Id;
        (await _admin.PostAsJsonAsync($"/v1/spaces/{_space}/apps", new AppRequest(App))).EnsureSuccessStatusCode();
        using var anonymous = _host.Client();
        var response = await anonymous.GetAsync("/openapi/v1.json");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        _document = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();
    }

    public async Task DisposeAsync()
    {
        _admin.Dispose();
        await _host.DisposeAsync();
    }

    private static async Task<T> Created<T>(HttpResponseMessage r)
    {
        Assert.True(r.IsSuccessStatusCode, $"{(int)r.StatusCode}: {await r.Content.ReadAsStringAsync()}");
        return (await r.Content.ReadFromJsonAsync<T>())!;
    }

    private sealed record Mapped(string Method, string Template, string Path, RouteEndpoint Endpoint);

    /// <summary>Every method and route the API maps, with its path as OpenAPI writes it (no route constraints).</summary>
    private List<Mapped> MappedEndpoints()
    {
        var mapped = new List<Mapped>();
        foreach (var endpoint in _host.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>())
        {
            var template = endpoint.RoutePattern.RawText ?? "";
            foreach (var method in endpoint.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods ?? [])
                mapped.Add(new Mapped(method, template, OpenApiPath(template), endpoint));
        }
        return mapped;
    }

    internal static string OpenApiPath(string template)
    {
        var path = "/" + Constraint().Replace(template, "{$1}").Trim('/');
        return path;
    }

    [GeneratedRegex(@"\{\*?([A-Za-z0-9_]+)(?::[^}]*)?\??\}")]
    private static partial Regex Constraint();

    /// <summary>What the document itself and its reference page map: the only endpoints left out of the document.</summary>
    private static bool IsDocs(Mapped m) =>
        m.Template.StartsWith("/openapi/", StringComparison.Ordinal) || m.Template.StartsWith("/api-docs", StringComparison.Ordinal);

    private JsonElement? Operation(string path, string method) =>
        _document.GetProperty("paths").TryGetProperty(path, out var item) && item.TryGetProperty(method.ToLowerInvariant(), out var op) ? op : null;

    [Fact]
    public void Every_mapped_endpoint_is_in_the_document_with_its_method_and_path()
    {
        var mapped = MappedEndpoints();
        var api = mapped.Where(m => !IsDocs(m)).ToList();
        // Sanity: the walk sees the whole API (the top, the space's endpoints, the router's).
        Assert.True(api.Count > 70, $"only {api.Count} endpoints found");
        Assert.Contains(api, m => m.Template.Contains("{space}", StringComparison.Ordinal));
        Assert.Contains(api, m => m.Template == "/v1/internal/route-table");
        Assert.Contains(mapped, m => m.Template == "/openapi/v1.json" && m.Method == "GET");

        var missing = api.Where(m => Operation(m.Path, m.Method) is null).Select(m => $"{m.Method} {m.Template} (as {m.Path})").ToList();
        Assert.True(missing.Count == 0, "not in /openapi/v1.json:\n" + string.Join("\n", missing));

        // And the document holds nothing the API does not map.
        var known = api.Select(m => (m.Path, m.Method.ToLowerInvariant())).ToHashSet();
        var extra = _document.GetProperty("paths").EnumerateObject()
            .SelectMany(p => p.Value.EnumerateObject().Where(o => IsMethod(o.Name)).Select(o => (p.Name, o.Name)))
            .Where(x => !known.Contains(x)).Select(x => $"{x.Item2} {x.Item1}").ToList();
        Assert.True(extra.Count == 0, "in the document but not mapped:\n" + string.Join("\n", extra));
        output.WriteLine($"{api.Count} endpoint/method pairs in the document");
    }

    private static bool IsMethod(string name) => name is "get" or "put" or "post" or "delete" or "patch" or "head" or "options";

    [Fact]
    public void Every_operation_has_a_response_and_every_request_body_a_schema()
    {
        var failures = new List<string>();
        foreach (var path in _document.GetProperty("paths").EnumerateObject())
            foreach (var op in path.Value.EnumerateObject().Where(o => IsMethod(o.Name)))
            {
                if (!op.Value.TryGetProperty("responses", out var responses) || !responses.EnumerateObject().Any())
                    failures.Add($"{op.Name} {path.Name}: no responses");
                else if (!responses.EnumerateObject().Any(r => r.Name.StartsWith('2')))
                    failures.Add($"{op.Name} {path.Name}: no success response");
                else
                    // A success with a body says what the body is (a handler returning IResult says nothing by itself).
                    foreach (var success in responses.EnumerateObject().Where(r => r.Name.StartsWith('2') && r.Name != "204"))
                        if (!success.Value.TryGetProperty("content", out var content) || !content.EnumerateObject().Any())
                            failures.Add($"{op.Name} {path.Name}: {success.Name} without content");
                if (op.Value.TryGetProperty("requestBody", out var body))
                    foreach (var media in body.GetProperty("content").EnumerateObject())
                        if (!media.Value.TryGetProperty("schema", out _))
                            failures.Add($"{op.Name} {path.Name}: request body {media.Name} has no schema");
            }
        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    /// <summary>
    /// Which endpoints take JSON is found by asking them, not from their metadata: one that refuses a text/plain body
    /// with "send a JSON body" reads JSON, and its operation must describe that body with a schema.
    /// </summary>
    [Fact]
    public async Task Every_endpoint_that_reads_a_json_body_has_its_request_schema()
    {
        var json = new List<string>();
        var failures = new List<string>();
        foreach (var m in MappedEndpoints().Where(m => m.Method is "POST" or "PUT" or "PATCH" && !IsDocs(m)))
        {
            using var request = new HttpRequestMessage(new HttpMethod(m.Method), Fill(m.Template))
            {
                Content = new StringContent("not json", Encoding.UTF8, "text/plain"),
            };
            using var response = await _admin.SendAsync(request);
            var text = await response.Content.ReadAsStringAsync();
            if (response.StatusCode != HttpStatusCode.BadRequest || !text.Contains("send a JSON body", StringComparison.Ordinal)) continue;
            json.Add($"{m.Method} {m.Template}");
            var schema = Operation(m.Path, m.Method) is { } op && op.TryGetProperty("requestBody", out var body)
                && body.GetProperty("content").TryGetProperty("application/json", out var media) && media.TryGetProperty("schema", out var s)
                ? s : (JsonElement?)null;
            if (schema is not { } found || !(found.TryGetProperty("$ref", out _) || found.TryGetProperty("type", out _)))
                failures.Add($"{m.Method} {m.Template} reads JSON but its operation has no application/json request schema");
        }
        output.WriteLine($"{json.Count} endpoints read a JSON body:\n{string.Join("\n", json)}");
        Assert.True(json.Count >= 20, $"only {json.Count} endpoints refused a text/plain body as not JSON");
        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    private string Fill(string template) =>
        "/" + template.Trim('/')
            .Replace("{space}", _space.ToString()).Replace("{org}", _org.ToString()).Replace("{name}", App)
            .Replace("{id:guid}", Guid.NewGuid().ToString()).Replace("{username}", "nobody-here").Replace("{role}", "SpaceAuditor")
            .Replace("{variable}", "OPENAPI_VAR").Replace("{tokenName}", "openapi-token").Replace("{domain}", "openapi.example");

    [Fact]
    public void Bodies_responses_and_problems_are_those_the_endpoint_answers()
    {
        var create = Operation("/v1/spaces/{space}/apps", "POST")!.Value;
        Assert.EndsWith("/AppRequest", create.GetProperty("requestBody").GetProperty("content").GetProperty("application/json")
            .GetProperty("schema").GetProperty("$ref").GetString());
        var responses = create.GetProperty("responses");
        Assert.EndsWith("/AppResponse", responses.GetProperty("201").GetProperty("content").GetProperty("application/json")
            .GetProperty("schema").GetProperty("$ref").GetString());
        foreach (var status in new[] { "400", "401", "403", "404", "409", "413", "422" })
            Assert.True(responses.GetProperty(status).GetProperty("content").TryGetProperty("application/problem+json", out _), status);

        // A read of a space: no 403 (every role in the space may read), a stranger gets 404.
        var list = Operation("/v1/spaces/{space}/apps", "GET")!.Value.GetProperty("responses");
        Assert.True(list.TryGetProperty("404", out _));
        Assert.False(list.TryGetProperty("403", out _));
        Assert.Contains("application/json", list.GetProperty("200").GetProperty("content").EnumerateObject().Select(c => c.Name));

        // The archive upload and the manifest are not JSON.
        var upload = Operation("/v1/spaces/{space}/apps/{name}/package", "PUT")!.Value.GetProperty("requestBody").GetProperty("content");
        Assert.Equal("binary", upload.GetProperty("application/zip").GetProperty("schema").GetProperty("format").GetString());
        Assert.True(Operation("/v1/spaces/{space}/manifest", "POST")!.Value.GetProperty("requestBody").GetProperty("content")
            .TryGetProperty("application/x-yaml", out _));
        // Streams say they are Server-Sent Events.
        Assert.True(Operation("/v1/spaces/{space}/apps/{name}/logs/stream", "GET")!.Value.GetProperty("responses").GetProperty("200")
            .GetProperty("content").TryGetProperty("text/event-stream", out _));
    }

    [Fact]
    public void Bearer_tokens_and_the_session_cookie_are_security_schemes_used_by_the_access_rules()
    {
        var schemes = _document.GetProperty("components").GetProperty("securitySchemes");
        Assert.Equal("http", schemes.GetProperty("bearer").GetProperty("type").GetString());
        Assert.Equal("bearer", schemes.GetProperty("bearer").GetProperty("scheme").GetString());
        Assert.Equal("apiKey", schemes.GetProperty("session").GetProperty("type").GetString());
        Assert.Equal("cookie", schemes.GetProperty("session").GetProperty("in").GetString());
        Assert.Equal("plat_session", schemes.GetProperty("session").GetProperty("name").GetString());

        // Each operation's security follows its endpoint's access rule.
        var failures = new List<string>();
        foreach (var m in MappedEndpoints().Where(m => !IsDocs(m)))
        {
            var rule = m.Endpoint.Metadata.GetMetadata<AccessRule>();
            var op = Operation(m.Path, m.Method);
            if (op is null) continue; // reported by the test of paths
            var names = op.Value.TryGetProperty("security", out var security)
                ? security.EnumerateArray().SelectMany(r => r.EnumerateObject().Select(p => p.Name)).ToHashSet()
                : [];
            var expected = rule switch
            {
                AnonymousAccess => new HashSet<string>(),
                RouterCredentialAccess => ["router"],
                _ => ["bearer", "session"],
            };
            if (!names.SetEquals(expected))
                failures.Add($"{m.Method} {m.Template} ({rule}): security [{string.Join(", ", names)}], expected [{string.Join(", ", expected)}]");
            var responses = op.Value.GetProperty("responses");
            if (rule is not AnonymousAccess && !responses.TryGetProperty("401", out _))
                failures.Add($"{m.Method} {m.Template} ({rule}): no 401");
            if (rule is AdminAccess && !responses.TryGetProperty("403", out _))
                failures.Add($"{m.Method} {m.Template} ({rule}): no 403");
            if (rule is SpaceAccessRule or OrgAccessRule && !responses.TryGetProperty("404", out _))
                failures.Add($"{m.Method} {m.Template} ({rule}): no 404");
        }
        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    [Fact]
    public async Task The_document_is_read_without_credentials_even_with_a_bad_token()
    {
        using var client = _host.Client();
        client.DefaultRequestHeaders.Authorization = new("Bearer", "not-a-token");
        var response = await client.GetAsync("/openapi/v1.json");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.StartsWith("3.", JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("openapi").GetString());
    }

    [Fact]
    public async Task The_reference_page_is_html_whose_only_inline_script_carries_the_nonce_of_its_csp()
    {
        using var client = _host.Client();
        var page = await client.GetAsync("/api-docs/");
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Equal("text/html", page.Content.Headers.ContentType?.MediaType);
        var html = await page.Content.ReadAsStringAsync();
        Assert.Contains("openapi/v1.json", html); // the page's source, relative to the site's root

        var csp = string.Join(";", page.Headers.GetValues("Content-Security-Policy"));
        var scriptSrc = csp.Split(';').Select(d => d.Trim()).Single(d => d.StartsWith("script-src ", StringComparison.Ordinal));
        Assert.DoesNotContain("unsafe-inline", scriptSrc);
        Assert.Contains("frame-ancestors 'none'", csp);
        var nonce = Regex.Match(scriptSrc, "'nonce-([^']+)'").Groups[1].Value;
        Assert.False(string.IsNullOrEmpty(nonce), csp);

        // Every script tag carries the nonce; those without a src are the only inline code, and the nonce lets them run.
        var scripts = Regex.Matches(html, "<script\\b[^>]*>", RegexOptions.IgnoreCase).Select(s => s.Value).ToList();
        Assert.NotEmpty(scripts);
        Assert.All(scripts, s => Assert.Contains($"nonce=\"{nonce}\"", s));
        // The script is served here (no CDN: the machines running the API may have no internet).
        var sources = scripts.Select(s => Regex.Match(s, "src=\"([^\"]+)\"").Groups[1].Value).Where(s => s.Length > 0).ToList();
        Assert.NotEmpty(sources);
        foreach (var src in sources)
        {
            Assert.False(Uri.TryCreate(src, UriKind.Absolute, out var absolute) && absolute.Scheme.StartsWith("http", StringComparison.Ordinal), src);
            var script = await client.GetAsync(new Uri(new Uri(client.BaseAddress!, "/api-docs/"), src));
            Assert.True(script.StatusCode == HttpStatusCode.OK, $"{src}: {(int)script.StatusCode}");
            Assert.Contains("javascript", script.Content.Headers.ContentType?.MediaType ?? "");
        }
        // A second page gets a fresh nonce.
        var again = await client.GetAsync("/api-docs/");
        Assert.DoesNotContain($"'nonce-{nonce}'", string.Join(";", again.Headers.GetValues("Content-Security-Policy")));
    }
}
