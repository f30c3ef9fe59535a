using Deque.AxeCore.Commons;
using Deque.AxeCore.Playwright;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Platform.Dashboard.Tests;

/// <summary>
/// axe-core's WCAG 2 A/AA rules (labels, names, contrast, landmarks...) on every screen, in light and in dark, and
/// the keyboard: the login works with Tab and Enter alone.
/// </summary>
[Collection(DashboardCollection.Name)]
public sealed class AccessibilityTests(DashboardFixture fixture)
{
    private static readonly AxeRunOptions Wcag = new()
    {
        RunOnly = new RunOnlyOptions { Type = "tag", Values = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"] },
    };

    [Theory]
    [InlineData(ColorScheme.Light)]
    [InlineData(ColorScheme.Dark)]
    public async Task Every_screen_passes_wcag_aa_checks(ColorScheme scheme)
    {
        await fixture.EnsureSiteAsync();
        var login = await fixture.NewPageAsync();
        await login.EmulateMediaAsync(new() { ColorScheme = scheme });
        await login.GotoAsync(fixture.Platd.ApiUrl + "/login");
        await Expect(login.GetByLabel("Username")).ToBeVisibleAsync();
        await AssertAccessibleAsync(login, "login");
        await login.Context.CloseAsync();

        var page = await fixture.LoggedInPageAsync();
        await page.EmulateMediaAsync(new() { ColorScheme = scheme });
        var screens = new (string Url, string Ready)[]
        {
            ($"{fixture.Platd.ApiUrl}/spaces/{DashboardFixture.Space}/apps", "Filter by name"),
            (fixture.AppUrl("site"), "Instance details"),
            (fixture.AppUrl("site", "logs"), "Search"),
            (fixture.AppUrl("site", "events"), "Events"),
            (fixture.AppUrl("site", "metrics"), "CPU per instance chart"),
            (fixture.AppUrl("site", "env"), "Add a variable"),
            ($"{fixture.Platd.ApiUrl}/spaces/{DashboardFixture.Space}/push", "App name"),
            ($"{fixture.Platd.ApiUrl}/cells", "Cells"),
        };
        foreach (var (url, ready) in screens)
        {
            await page.GotoAsync(url);
            await Expect(page.GetByLabel(ready).Or(page.GetByRole(AriaRole.Heading, new() { Name = ready })).First).ToBeVisibleAsync();
            await AssertAccessibleAsync(page, url);
        }
        await page.Context.CloseAsync();
    }

    private static async Task AssertAccessibleAsync(IPage page, string what)
    {
        var result = await page.RunAxe(Wcag);
        Assert.NotEmpty(result.Passes); // axe ran its rules on the page
        var problems = result.Violations.Select(v =>
            $"{v.Id} ({v.Impact}): {v.Help} at {string.Join(", ", v.Nodes.Take(3).Select(n => n.Target?.ToString()))}").ToList();
        Assert.True(problems.Count == 0, $"{what}:\n" + string.Join("\n", problems));
    }

    [Fact]
    public async Task The_login_works_with_the_keyboard_alone()
    {
        var page = await fixture.NewPageAsync();
        await page.GotoAsync(fixture.Platd.ApiUrl + "/login");
        await Expect(page.GetByLabel("Username")).ToBeFocusedAsync();
        await page.Keyboard.TypeAsync("admin");
        await page.Keyboard.PressAsync("Tab");
        await Expect(page.GetByLabel("Password", new() { Exact = true })).ToBeFocusedAsync();
        await page.Keyboard.TypeAsync(fixture.Platd.AdminPassword);
        await page.Keyboard.PressAsync("Enter");
        await Expect(page.GetByRole(AriaRole.Button, new() { Name = "Log out" })).ToBeVisibleAsync();
        // The first Tab reaches the skip link, which moves focus to the content.
        await page.Keyboard.PressAsync("Tab");
        await Expect(page.GetByRole(AriaRole.Link, new() { Name = "Skip to content" })).ToBeFocusedAsync();
        await page.Context.CloseAsync();
    }
}
