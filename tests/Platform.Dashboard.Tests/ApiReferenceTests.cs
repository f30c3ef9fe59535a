using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Platform.Dashboard.Tests;

/// <summary>
/// The API reference page (/api-docs/, Scalar) in a real browser, under its own Content-Security-Policy: it renders the
/// API's operations from /openapi/v1.json, and the browser reports no policy violation and loads nothing from
/// elsewhere. The dashboard's pages beside it keep theirs.
/// </summary>
[Collection(DashboardCollection.Name)]
public sealed class ApiReferenceTests(DashboardFixture fixture)
{
    [Fact]
    public async Task The_reference_page_renders_the_api_under_its_csp()
    {
        var page = await fixture.NewPageAsync();
        var violations = new List<string>();
        var elsewhere = new List<string>();
        page.Console += (_, message) =>
        {
            if (message.Text.Contains("Content Security Policy", StringComparison.OrdinalIgnoreCase)) violations.Add(message.Text);
        };
        page.Request += (_, request) =>
        {
            if (!request.Url.StartsWith(fixture.Platd.ApiUrl, StringComparison.Ordinal) && !request.Url.StartsWith("data:", StringComparison.Ordinal))
                elsewhere.Add(request.Url);
        };
        // The page reports violations to itself too (the console message is the browser's, this is the standard event).
        await page.AddInitScriptAsync("window.__cspViolations = []; document.addEventListener('securitypolicyviolation', e => " +
                                      "window.__cspViolations.push(e.violatedDirective + ' ' + e.blockedURI));");

        var response = await page.GotoAsync(fixture.Platd.ApiUrl + "/api-docs/");
        Assert.NotNull(response);
        Assert.Equal(200, response.Status);
        Assert.Contains("'nonce-", response.Headers["content-security-policy"]);

        // Scalar rendered the document: the API's title and an operation of the space's apps.
        await Expect(page.GetByText("Platform API").First).ToBeVisibleAsync();
        await Expect(page.GetByText("/v1/spaces/{space}/apps").First).ToBeAttachedAsync();

        var reported = await page.EvaluateAsync<string[]>("() => window.__cspViolations");
        Assert.True(violations.Count == 0 && reported.Length == 0,
            "CSP violations:\n" + string.Join("\n", violations.Concat(reported)));
        Assert.True(elsewhere.Count == 0, "requests to other origins:\n" + string.Join("\n", elsewhere));
        await fixture.ScreenshotAsync(page, "api-reference");
        await page.Context.CloseAsync();
    }
}
