using System.Net;
using System.Net.Http.Json;
using Microsoft.Playwright;
using Npgsql;
using static Microsoft.Playwright.Assertions;

namespace Platform.Dashboard.Tests;

/// <summary>Sign-in in the browser: errors, the session cookie, logout, an ended session, and who sees Cells.</summary>
[Collection(DashboardCollection.Name)]
public sealed class SessionTests(DashboardFixture fixture)
{
    [Fact]
    public async Task Wrong_password_shows_the_error_and_the_right_one_logs_in()
    {
        var page = await fixture.NewPageAsync();
        await page.GotoAsync(fixture.Platd.ApiUrl + "/");
        // Not logged in: any screen goes to the login form.
        await Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("/login$"));
        await fixture.ScreenshotAsync(page, "login");
        await page.GetByLabel("Username").FillAsync("admin");
        await page.GetByLabel("Password", new() { Exact = true }).FillAsync("not-the-password");
        await page.GetByRole(AriaRole.Button, new() { Name = "Log in" }).ClickAsync();
        var alert = page.GetByRole(AriaRole.Alert);
        await Expect(alert).ToContainTextAsync("Unauthorized");
        await Expect(alert).ToContainTextAsync("wrong username or password");

        await page.GetByLabel("Password", new() { Exact = true }).FillAsync(fixture.Platd.AdminPassword);
        await page.GetByRole(AriaRole.Button, new() { Name = "Log in" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Apps" })).ToBeVisibleAsync();

        // The session is a cookie scripts cannot read.
        var cookies = await page.Context.CookiesAsync();
        var session = Assert.Single(cookies, c => c.Name == "plat_session");
        Assert.True(session.HttpOnly);
        Assert.Equal(SameSiteAttribute.Strict, session.SameSite);
        Assert.Equal("", await page.EvaluateAsync<string>("() => document.cookie"));
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task Logging_out_revokes_the_session_on_the_server()
    {
        var page = await fixture.LoggedInPageAsync();
        var cookie = (await page.Context.CookiesAsync()).Single(c => c.Name == "plat_session").Value;
        await page.GetByRole(AriaRole.Button, new() { Name = "Log out" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Button, new() { Name = "Log in" })).ToBeVisibleAsync();

        // The old cookie, replayed, no longer works.
        using var http = new HttpClient(new HttpClientHandler { UseCookies = false }) { BaseAddress = new Uri(fixture.Platd.ApiUrl) };
        using var request = new HttpRequestMessage(HttpMethod.Get, "/v1/sessions/current");
        request.Headers.Add("Cookie", $"plat_session={cookie}");
        Assert.Equal(HttpStatusCode.Unauthorized, (await http.SendAsync(request)).StatusCode);
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task An_ended_session_goes_back_to_the_login_with_a_message()
    {
        var page = await fixture.LoggedInPageAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Apps" })).ToBeVisibleAsync();
        // The server forgets the session (it expired, or an admin revoked it).
        await using (var db = new NpgsqlConnection(fixture.Platd.Database!.ConnectionString))
        {
            await db.OpenAsync();
            var cookie = (await page.Context.CookiesAsync()).Single(c => c.Name == "plat_session").Value;
            await using var cmd = new NpgsqlCommand("DELETE FROM tokens WHERE \"TokenHash\" = @h", db);
            cmd.Parameters.AddWithValue("h", Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(cookie))));
            Assert.Equal(1, await cmd.ExecuteNonQueryAsync());
        }
        // The apps stream is closed by the server every few seconds; its reconnect finds the session gone.
        await Expect(page.GetByText("Your session has ended. Log in again.")).ToBeVisibleAsync(new() { Timeout = 30_000 });
        await Expect(page.GetByLabel("Username")).ToBeVisibleAsync();
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task A_non_admin_does_not_see_the_cells_screen()
    {
        var name = "dev" + Guid.NewGuid().ToString("N")[..6];
        const string password = "correct-horse-battery";
        (await fixture.Api.PostAsJsonAsync("/v1/users", new { username = name, password })).EnsureSuccessStatusCode();
        (await fixture.Api.PutAsync($"/v1/spaces/{DashboardFixture.Space}/users/{name}/roles/SpaceDeveloper", null)).EnsureSuccessStatusCode();

        var page = await fixture.LoggedInPageAsync(name, password);
        var nav = page.GetByRole(AriaRole.Navigation, new() { Name = "Main" });
        await Expect(nav.GetByRole(AriaRole.Link, new() { Name = "Apps" })).ToBeVisibleAsync();
        await Expect(nav.GetByRole(AriaRole.Link, new() { Name = "Cells" })).ToHaveCountAsync(0);
        await page.GotoAsync(fixture.Platd.ApiUrl + "/cells");
        await Expect(page.GetByRole(AriaRole.Alert)).ToContainTextAsync("only platform admins");
        await Expect(page.GetByRole(AriaRole.Table, new() { Name = "Cells" })).ToHaveCountAsync(0);
        await page.Context.CloseAsync();

        // An admin sees each cell with its capacity and heartbeat.
        var admin = await fixture.LoggedInPageAsync();
        await admin.GetByRole(AriaRole.Navigation, new() { Name = "Main" }).GetByRole(AriaRole.Link, new() { Name = "Cells" }).ClickAsync();
        var cells = admin.GetByRole(AriaRole.Table, new() { Name = "Cells" });
        await Expect(cells).ToContainTextAsync(fixture.Platd.CellId);
        await Expect(cells).ToContainTextAsync("alive");
        await fixture.ScreenshotAsync(admin, "cells");
        await admin.Context.CloseAsync();
    }
}
