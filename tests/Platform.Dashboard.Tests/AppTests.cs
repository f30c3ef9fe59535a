using System.Net.Http.Json;
using System.Text.RegularExpressions;
using Microsoft.Playwright;
using Platform.Contracts.Api;
using static Microsoft.Playwright.Assertions;

namespace Platform.Dashboard.Tests;

/// <summary>
/// The screens as a team lead uses them, against a real platd: apps appear live, scale, stop and start, env, events,
/// metrics, push from the browser, delete with confirmation.
/// </summary>
[Collection(DashboardCollection.Name)]
public sealed class AppTests(DashboardFixture fixture)
{
    private string Space => DashboardFixture.Space;

    [Fact]
    public async Task An_app_pushed_with_the_cli_appears_in_the_list_without_a_reload()
    {
        var page = await fixture.LoggedInPageAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Apps" })).ToBeVisibleAsync();
        var navigations = 0;
        page.FrameNavigated += (_, frame) => { if (frame == page.MainFrame) navigations++; };

        var name = "cli" + Guid.NewGuid().ToString("N")[..6];
        // Created with plat (no start: the list shows it as soon as the API has it), then deleted with plat.
        var push = await fixture.Platd.PlatAsync(["push", name, "-p", DashboardFixture.SiteDir, "-m", "64M", "-k", "256M", "--no-start"]);
        Assert.True(push.ExitCode == 0, push.ToString());
        var link = page.GetByRole(AriaRole.Link, new() { Name = name, Exact = true });
        await Expect(link).ToBeVisibleAsync();
        await Expect(page.Locator($"tr[data-app='{name}']")).ToContainTextAsync("stopped");
        await fixture.ScreenshotAsync(page, "apps");

        // Filter by name, sort by a column.
        await page.GetByLabel("Filter by name").FillAsync(name);
        await Expect(page.Locator("tbody tr")).ToHaveCountAsync(1);
        await page.GetByLabel("Filter by name").FillAsync("");
        await page.GetByRole(AriaRole.Button, new() { Name = "Memory" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Columnheader, new() { Name = "Memory" })).ToHaveAttributeAsync("aria-sort", "ascending");

        var delete = await fixture.Platd.PlatAsync(["delete", name, "-f"]);
        Assert.True(delete.ExitCode == 0, delete.ToString());
        await Expect(link).ToHaveCountAsync(0);
        Assert.Equal(0, navigations);
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task Scaling_from_the_app_screen_gives_three_running_instances()
    {
        await fixture.EnsureSiteAsync();
        (await fixture.Api.PostAsJsonAsync($"/v1/spaces/{Space}/apps/site/scale", new { instances = 1 })).EnsureSuccessStatusCode();
        var page = await fixture.LoggedInPageAsync();
        await page.GotoAsync(fixture.AppUrl("site"));
        var running = page.GetByRole(AriaRole.Table, new() { Name = "Instance details" }).Locator("tr[data-state='RUNNING']");
        await Expect(running).ToHaveCountAsync(1, new() { Timeout = 60_000 });

        await page.GetByLabel("Instances").FillAsync("3");
        await page.GetByRole(AriaRole.Button, new() { Name = "Scale", Exact = true }).ClickAsync();
        await Expect(running).ToHaveCountAsync(3, new() { Timeout = 90_000 });
        await Expect(page.GetByTestId("app-state")).ToHaveTextAsync("running");
        await fixture.ScreenshotAsync(page, "app");

        var app = await fixture.Platd.PlatAsync(["app", "site"]);
        Assert.Contains("instances:         3/3", app.Stdout);
        Assert.Equal(3, Regex.Matches(app.Stdout, @"#\d\s+running").Count);
        await page.Context.CloseAsync();
        (await fixture.Api.PostAsJsonAsync($"/v1/spaces/{Space}/apps/site/scale", new { instances = 1 })).EnsureSuccessStatusCode();
    }

    [Fact]
    public async Task Stop_and_start()
    {
        await fixture.EnsureSiteAsync();
        var page = await fixture.LoggedInPageAsync();
        await page.GotoAsync(fixture.AppUrl("site"));
        var state = page.GetByTestId("app-state");
        await Expect(state).ToHaveTextAsync("running", new() { Timeout = 60_000 });

        await page.GetByRole(AriaRole.Button, new() { Name = "Stop", Exact = true }).ClickAsync();
        await Expect(state).ToHaveTextAsync("stopped");
        await Expect(page.GetByText("No instances: the app is stopped.")).ToBeVisibleAsync(new() { Timeout = 60_000 });
        Assert.Equal("STOPPED", (await fixture.FindAppAsync("site"))!.App.State);

        await page.GetByRole(AriaRole.Button, new() { Name = "Start", Exact = true }).ClickAsync();
        await Expect(state).ToHaveTextAsync("running", new() { Timeout = 60_000 });
        await Expect(page.GetByRole(AriaRole.Table, new() { Name = "Instance details" }).Locator("tr[data-state='RUNNING']")).ToHaveCountAsync(1);

        // The timeline says who did it.
        await page.GetByRole(AriaRole.Link, new() { Name = "Events" }).ClickAsync();
        var events = page.GetByRole(AriaRole.List, new() { Name = "Events" });
        await Expect(events.Locator(".event-app-stop")).ToContainTextAsync("by admin");
        await Expect(events.Locator(".event-app-start").First).ToContainTextAsync("by admin");
        await fixture.ScreenshotAsync(page, "events");
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task An_env_change_is_saved_hidden_until_revealed_and_asks_for_a_restart()
    {
        await fixture.EnsureSiteAsync();
        var page = await fixture.LoggedInPageAsync();
        await page.GotoAsync(fixture.AppUrl("site", "env"));
        var variable = "GREETING_" + Guid.NewGuid().ToString("N")[..4].ToUpperInvariant();
        await page.GetByLabel("Name", new() { Exact = true }).FillAsync(variable);
        await page.GetByLabel("Value", new() { Exact = true }).FillAsync("hello <b>world</b>");
        await page.GetByRole(AriaRole.Button, new() { Name = "Add" }).ClickAsync();

        var row = page.Locator($"tr[data-variable='{variable}']");
        await Expect(row).ToContainTextAsync("••••••");
        await Expect(row).Not.ToContainTextAsync("hello");
        await page.GetByRole(AriaRole.Button, new() { Name = $"Reveal {variable}" }).ClickAsync();
        await Expect(row).ToContainTextAsync("hello <b>world</b>");
        await Expect(page.GetByText("restart the app for the change to take effect")).ToBeVisibleAsync();
        await fixture.ScreenshotAsync(page, "env");

        var env = await fixture.Api.GetFromJsonAsync<AppEnvResponse>($"/v1/spaces/{Space}/apps/site/env");
        Assert.Equal("hello <b>world</b>", env!.User[variable]);

        // Change, then remove.
        await page.GetByRole(AriaRole.Button, new() { Name = $"Change {variable}" }).ClickAsync();
        await page.GetByLabel($"New value of {variable}").FillAsync("bye");
        await page.GetByRole(AriaRole.Button, new() { Name = "Save" }).ClickAsync();
        await Expect(row).ToContainTextAsync("bye");
        await page.GetByRole(AriaRole.Button, new() { Name = $"Remove {variable}" }).ClickAsync();
        await Expect(row).ToHaveCountAsync(0);
        env = await fixture.Api.GetFromJsonAsync<AppEnvResponse>($"/v1/spaces/{Space}/apps/site/env");
        Assert.False(env!.User.ContainsKey(variable));
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task Metrics_chart_the_instances_and_the_routers_requests()
    {
        await fixture.EnsureSiteAsync();
        var page = await fixture.LoggedInPageAsync();
        await page.GotoAsync(fixture.AppUrl("site", "metrics"));
        for (var i = 0; i < 5; i++) (await fixture.RequestAsync("site", "/")).EnsureSuccessStatusCode();
        await Expect(page.GetByRole(AriaRole.Img, new() { Name = "CPU per instance chart" })).ToBeVisibleAsync();
        await Wait.UntilAsync(async () =>
        {
            var m = await fixture.Api.GetFromJsonAsync<AppMetricsResponse>($"/v1/spaces/{Space}/apps/site/metrics");
            return m!.Instances.Count > 0 && m.Router.Sum(r => r.Requests) >= 5;
        }, "metrics history of the site's instance and requests");
        await Expect(page.GetByText("No samples yet")).ToHaveCountAsync(0);
        await fixture.ScreenshotAsync(page, "metrics");
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task A_push_from_the_browser_ends_on_the_running_app_and_delete_needs_its_name()
    {
        var name = "web" + Guid.NewGuid().ToString("N")[..6];
        var zip = DashboardFixture.SiteZip("pushed from the browser");
        var page = await fixture.LoggedInPageAsync();
        await page.GotoAsync($"{fixture.Platd.ApiUrl}/spaces/{Space}/push");
        await page.GetByLabel("App name").FillAsync(name);
        await page.GetByLabel("Memory (new apps; default 256M)").FillAsync("64M");
        await page.GetByLabel("Archive (zip, war or jar)").SetInputFilesAsync(zip);
        await fixture.ScreenshotAsync(page, "push");
        await page.GetByRole(AriaRole.Button, new() { Name = "Push" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Region, new() { Name = "Staging log" })).ToContainTextAsync("[STG/0]", new() { Timeout = 60_000 });
        await Expect(page).ToHaveURLAsync(new Regex($"/apps/{name}$"), new() { Timeout = 120_000 });
        await Expect(page.GetByTestId("app-state")).ToHaveTextAsync("running", new() { Timeout = 90_000 });
        var body = await (await fixture.RequestAsync(name, "/")).Content.ReadAsStringAsync();
        Assert.Contains("pushed from the browser", body);

        // Delete asks for the app's name first.
        await page.GetByRole(AriaRole.Button, new() { Name = "Delete", Exact = true }).ClickAsync();
        var confirm = page.GetByRole(AriaRole.Button, new() { Name = "Delete app" });
        await Expect(confirm).ToBeDisabledAsync();
        await page.GetByLabel("App name").FillAsync(name[..^1]);
        await Expect(confirm).ToBeDisabledAsync();
        await page.GetByLabel("App name").FillAsync(name);
        await confirm.ClickAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Apps" })).ToBeVisibleAsync();
        await Expect(page.GetByRole(AriaRole.Link, new() { Name = name, Exact = true })).ToHaveCountAsync(0);
        Assert.Null(await fixture.FindAppAsync(name));
        File.Delete(zip);
        await page.Context.CloseAsync();
    }
}
