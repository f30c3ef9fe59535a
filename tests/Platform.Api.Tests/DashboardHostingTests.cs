using System.Net;

namespace Platform.Api.Tests;

/// <summary>The dashboard's files at / of the API: SPA fallback, cache headers, CSP; the API's own paths stay the API's.</summary>
public sealed class DashboardHostingTests : IAsyncLifetime
{
    private ApiHost _host = null!;
    private string _dist = "";

    public async Task InitializeAsync()
    {
        _dist = Directory.CreateTempSubdirectory("platform-dashboard-").FullName;
        Directory.CreateDirectory(Path.Combine(_dist, "assets"));
        await File.WriteAllTextAsync(Path.Combine(_dist, "index.html"), "<!doctype html><script type=module src=/assets/index-abc123.js></script>");
        await File.WriteAllTextAsync(Path.Combine(_dist, "assets", "index-abc123.js"), "console.log(1)");
        _host = await ApiHost.StartAsync(new Dictionary<string, string?> { ["Api:DashboardDir"] = _dist });
    }

    public async Task DisposeAsync()
    {
        await _host.DisposeAsync();
        Directory.Delete(_dist, recursive: true);
    }

    [Theory]
    [InlineData("/")]
    [InlineData("/spaces/00000000-0000-4000-8000-0000000000b1/apps/web/logs")]
    [InlineData("/login")]
    public async Task Pages_are_index_html_never_cached_with_a_csp_without_inline_script(string path)
    {
        using var http = _host.Client();
        var response = await http.GetAsync(path);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/html", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("/assets/index-abc123.js", await response.Content.ReadAsStringAsync());
        Assert.Contains("no-store", response.Headers.CacheControl!.ToString());
        var csp = string.Join(";", response.Headers.GetValues("Content-Security-Policy"));
        Assert.Contains("script-src 'self'", csp);
        Assert.DoesNotContain("unsafe-inline", csp);
        Assert.Contains("frame-ancestors 'none'", csp);
    }

    [Fact]
    public async Task Hashed_assets_are_cached_for_good_and_a_missing_one_is_404()
    {
        using var http = _host.Client();
        var js = await http.GetAsync("/assets/index-abc123.js");
        Assert.Equal(HttpStatusCode.OK, js.StatusCode);
        Assert.Contains("immutable", js.Headers.CacheControl!.ToString());
        Assert.Equal(31536000, (int)js.Headers.CacheControl.MaxAge!.Value.TotalSeconds);
        Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync("/assets/index-old.js")).StatusCode);
    }

    [Fact]
    public async Task Unknown_api_paths_are_api_problems_not_the_page()
    {
        using var http = _host.Client();
        await ProblemAssert.IsProblemAsync(await http.GetAsync("/v1/no-such-thing"), HttpStatusCode.NotFound, "no API endpoint");
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/healthz")).StatusCode);
        Assert.Equal(HttpStatusCode.MethodNotAllowed, (await http.PostAsync("/some/page", null)).StatusCode);
    }

    [Fact]
    public async Task The_openapi_document_and_its_reference_page_are_not_the_dashboard()
    {
        using var http = _host.Client();
        var document = await http.GetAsync("/openapi/v1.json");
        Assert.Equal(HttpStatusCode.OK, document.StatusCode);
        Assert.Equal("application/json", document.Content.Headers.ContentType?.MediaType);
        Assert.Contains("\"openapi\"", await document.Content.ReadAsStringAsync());

        var page = await http.GetAsync("/api-docs/");
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        var html = await page.Content.ReadAsStringAsync();
        Assert.DoesNotContain("/assets/index-abc123.js", html);
        Assert.Contains("openapi/v1.json", html);
        // Its own policy, not the dashboard's (which allows no inline script at all).
        Assert.Contains("'nonce-", string.Join(";", page.Headers.GetValues("Content-Security-Policy")));

        // Unknown paths under them are problems, not the dashboard's page.
        await ProblemAssert.IsProblemAsync(await http.GetAsync("/openapi/v2"), HttpStatusCode.NotFound, "/openapi/v1.json");
    }
}
