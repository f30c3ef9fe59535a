using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Platform.Dashboard.Tests;

/// <summary>The Logs screen: router lines as they come, text from apps shown as text, resuming after a dropped stream.</summary>
[Collection(DashboardCollection.Name)]
public sealed class LogsTests(DashboardFixture fixture)
{
    [Fact]
    public async Task A_request_through_the_router_shows_its_access_line_and_markup_renders_as_text()
    {
        await fixture.EnsureSiteAsync();
        var page = await fixture.LoggedInPageAsync();
        var dialogs = 0;
        page.Dialog += (_, d) => { dialogs++; _ = d.DismissAsync(); };
        await page.GotoAsync(fixture.AppUrl("site", "logs"));
        var logs = page.GetByRole(AriaRole.Region, new() { Name = "Logs" });
        await Expect(logs).ToContainTextAsync("[STG/0]"); // opens with the recent lines

        var marker = "hello-" + Guid.NewGuid().ToString("N")[..8];
        await fixture.RequestAsync("site", "/" + marker);
        await Expect(logs).ToContainTextAsync($"[RTR/0] OUT site.apps.localhost - \"GET /{marker} HTTP/1.1\" 404", new() { Timeout = 10_000 });

        // A line with markup in it, from the app's stderr: shown literally, never run.
        (await fixture.RequestAsync("site", "/cgi-bin/markup")).EnsureSuccessStatusCode();
        await Expect(logs).ToContainTextAsync("ERR <script>alert(1)</script>", new() { Timeout = 10_000 });
        await Expect(logs.Locator("script")).ToHaveCountAsync(0);
        Assert.Equal(0, dialogs);

        // Filters: RTR off hides router lines.
        await page.GetByRole(AriaRole.Checkbox, new() { Name = "RTR" }).UncheckAsync();
        await Expect(logs).Not.ToContainTextAsync(marker);
        await page.GetByRole(AriaRole.Checkbox, new() { Name = "RTR" }).CheckAsync();
        await page.GetByLabel("Search").FillAsync(marker);
        await Expect(logs.Locator(".log-line")).ToHaveCountAsync(1);
        await page.GetByLabel("Search").FillAsync("");
        await fixture.ScreenshotAsync(page, "logs");
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task After_the_server_drops_the_stream_the_view_resumes_without_gaps_or_duplicates()
    {
        await fixture.EnsureSiteAsync();
        var page = await fixture.LoggedInPageAsync();
        await page.GotoAsync(fixture.AppUrl("site", "logs"));
        var logs = page.GetByRole(AriaRole.Region, new() { Name = "Logs" });
        await Expect(logs).ToContainTextAsync("[STG/0]");

        // Lines keep coming while the server closes the stream (every few seconds, Api:StreamMaxSeconds) at least twice.
        var run = Guid.NewGuid().ToString("N")[..6];
        var sent = 0;
        var deadline = DateTime.UtcNow.AddSeconds(DashboardFixture.StreamMaxSeconds * 6);
        while (int.Parse(await logs.GetAttributeAsync("data-reconnects") ?? "0") < 2)
        {
            Assert.True(DateTime.UtcNow < deadline, "the log stream did not reconnect twice");
            await fixture.RequestAsync("site", $"/seq-{run}-{sent++}");
        }
        for (var i = 0; i < 5; i++) await fixture.RequestAsync("site", $"/seq-{run}-{sent++}");
        var last = $"/seq-{run}-{sent - 1} ";
        await Expect(logs).ToContainTextAsync(last, new() { Timeout = 10_000 });
        Assert.Equal("0", await logs.GetAttributeAsync("data-duplicates"));

        // What the page holds, as the Download button saves it: each line once, in order.
        var download = await page.RunAndWaitForDownloadAsync(() => page.GetByRole(AriaRole.Button, new() { Name = "Download" }).ClickAsync());
        var text = await File.ReadAllTextAsync((await download.PathAsync())!);
        var seen = System.Text.RegularExpressions.Regex.Matches(text, $@"GET /seq-{run}-(\d+) ").Select(m => int.Parse(m.Groups[1].Value)).ToList();
        Assert.Equal(Enumerable.Range(0, sent).ToList(), seen);
        await page.Context.CloseAsync();
    }
}
