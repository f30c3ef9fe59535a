using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using MassTransit.Testing;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Platform.Api.Access;
using Platform.Contracts.Api;
using Platform.Contracts.Messages;
using Platform.Data.Entities;
using Platform.TestSupport;

namespace Platform.Api.Tests;

/// <summary>What the dashboard needs of the API: cookie sessions with CSRF, live streams, cells, every endpoint's access rule.</summary>
[Collection(ApiCollection.Name)]
public sealed class DashboardApiTests(ApiFixture fixture)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    private string Space => TestSpaces.Default;

    [Fact]
    public void Every_endpoint_declares_exactly_one_access_rule()
    {
        var endpoints = fixture.Host.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>().ToList();
        Assert.Contains(endpoints, e => e.RoutePattern.RawText!.EndsWith("/logs/stream", StringComparison.Ordinal));
        var without = endpoints.Where(e => e.Metadata.OfType<AccessRule>().Count() != 1).Select(e => e.RoutePattern.RawText).ToList();
        Assert.True(without.Count == 0, "endpoints without exactly one access rule: " + string.Join(", ", without));
    }

    /// <summary>A client with cookies of its own, as a browser is.</summary>
    private HttpClient Browser(CookieContainer cookies) =>
        new(new HttpClientHandler { CookieContainer = cookies }) { BaseAddress = new Uri(fixture.Host.Url) };

    private async Task<(HttpClient Http, SessionResponse Session, HttpResponseMessage Response)> LogInAsync(CookieContainer cookies)
    {
        var http = Browser(cookies);
        var response = await http.PostAsJsonAsync("/v1/sessions", new TokenRequest("admin", fixture.Host.AdminPassword));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return (http, (await response.Content.ReadFromJsonAsync<SessionResponse>())!, response);
    }

    [Fact]
    public async Task A_session_is_an_http_only_strict_cookie_and_changes_need_its_csrf_token()
    {
        var cookies = new CookieContainer();
        var (http, session, response) = await LogInAsync(cookies);
        var setCookie = Assert.Single(response.Headers.GetValues("Set-Cookie"));
        Assert.StartsWith("plat_session=", setCookie);
        Assert.Contains("httponly", setCookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("samesite=strict", setCookie, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("secure", setCookie, StringComparison.OrdinalIgnoreCase); // plain http here
        Assert.Equal("admin", session.Username);
        Assert.True(session.Admin);
        Assert.False(string.IsNullOrEmpty(session.CsrfToken));

        // Reads work with the cookie alone.
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync(Space + "/apps")).StatusCode);
        var current = await http.GetFromJsonAsync<SessionResponse>("/v1/sessions/current");
        Assert.Equal(session.CsrfToken, current!.CsrfToken);

        // A change without the token (what another site's form could make the browser send) is refused.
        var name = "csrf-" + Guid.NewGuid().ToString("N")[..6];
        await ProblemAssert.IsProblemAsync(await http.PostAsJsonAsync(Space + "/apps", new AppRequest(name)), HttpStatusCode.Forbidden, "CSRF");
        using (var wrong = new HttpRequestMessage(HttpMethod.Post, Space + "/apps") { Content = JsonContent.Create(new AppRequest(name)) })
        {
            wrong.Headers.Add("X-CSRF-Token", session.CsrfToken + "x");
            await ProblemAssert.IsProblemAsync(await http.SendAsync(wrong), HttpStatusCode.Forbidden, "CSRF");
        }
        await using (var db = fixture.Host.Db()) Assert.False(await db.Apps.AnyAsync(a => a.Name == name));
        using (var right = new HttpRequestMessage(HttpMethod.Post, Space + "/apps") { Content = JsonContent.Create(new AppRequest(name)) })
        {
            right.Headers.Add("X-CSRF-Token", session.CsrfToken);
            Assert.Equal(HttpStatusCode.Created, (await http.SendAsync(right)).StatusCode);
        }
        // Bearer tokens need no CSRF token (a browser never sends one by itself).
        Assert.Equal(HttpStatusCode.NoContent, (await fixture.Admin.DeleteAsync($"{Space}/apps/{name}")).StatusCode);

        // Logging out needs the token too, then revokes the session on the server.
        await ProblemAssert.IsProblemAsync(await http.DeleteAsync("/v1/sessions"), HttpStatusCode.Forbidden, "CSRF");
        var cookie = cookies.GetAllCookies().Single(c => c.Name == "plat_session").Value;
        using (var logout = new HttpRequestMessage(HttpMethod.Delete, "/v1/sessions"))
        {
            logout.Headers.Add("X-CSRF-Token", session.CsrfToken);
            var answer = await http.SendAsync(logout);
            Assert.Equal(HttpStatusCode.NoContent, answer.StatusCode);
            Assert.Contains(answer.Headers.GetValues("Set-Cookie"), c => c.StartsWith("plat_session=;", StringComparison.Ordinal));
        }
        using var replay = Browser(new CookieContainer());
        using var again = new HttpRequestMessage(HttpMethod.Get, "/v1/sessions/current");
        again.Headers.Add("Cookie", "plat_session=" + cookie);
        await ProblemAssert.IsProblemAsync(await replay.SendAsync(again), HttpStatusCode.Unauthorized, "log in again");
    }

    [Fact]
    public async Task Session_sign_in_has_the_token_sign_ins_hardening()
    {
        using var http = Browser(new CookieContainer());
        var name = "nobody-" + Guid.NewGuid().ToString("N")[..6];
        var response = await http.PostAsJsonAsync("/v1/sessions", new TokenRequest(name, "wrong-password"));
        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.Unauthorized, "wrong username or password");
        Assert.False(response.Headers.Contains("Set-Cookie"));
        await using var db = fixture.Host.Db();
        Assert.True(await db.Events.AnyAsync(e => e.Type == "user.login-failed" && e.Actor == name));
        // A form post from another site cannot be JSON: refused before any password is checked.
        var form = await http.PostAsync("/v1/sessions", new FormUrlEncodedContent(new Dictionary<string, string> { ["username"] = "admin", ["password"] = "x" }));
        await ProblemAssert.IsProblemAsync(form, HttpStatusCode.BadRequest, "JSON");
    }

    [Fact]
    public async Task The_space_stream_sends_the_apps_then_each_change()
    {
        await using var stream = await SseClient.OpenAsync(fixture.Admin, Space + "/stream");
        var first = await stream.NextAsync();
        Assert.Equal("apps", first!.Value.EventType);
        var name = "live-" + Guid.NewGuid().ToString("N")[..6];
        (await fixture.Admin.PostAsJsonAsync(Space + "/apps", new AppRequest(name))).EnsureSuccessStatusCode();
        var created = await NextOfTypeAsync(stream, "app", e => JsonSerializer.Deserialize<AppResponse>(e, Json)!.Name == name);
        Assert.Equal(1, JsonSerializer.Deserialize<AppResponse>(created, Json)!.Instances);
        (await fixture.Admin.PostAsJsonAsync($"{Space}/apps/{name}/scale", new ScaleRequest(Instances: 3))).EnsureSuccessStatusCode();
        var scaled = await NextOfTypeAsync(stream, "app", e => JsonSerializer.Deserialize<AppResponse>(e, Json)!.Name == name);
        Assert.Equal(3, JsonSerializer.Deserialize<AppResponse>(scaled, Json)!.Instances);
        (await fixture.Admin.DeleteAsync($"{Space}/apps/{name}")).EnsureSuccessStatusCode();
        var removed = await NextOfTypeAsync(stream, "app-removed", e => JsonSerializer.Deserialize<AppRemoved>(e, Json)!.Name == name);
        Assert.Contains(name, removed);
    }

    private static async Task<string> NextOfTypeAsync(SseClient stream, string type, Func<string, bool> match)
    {
        while (true)
        {
            var e = await stream.NextAsync() ?? throw new InvalidOperationException($"the stream ended before a {type} event");
            if (e.EventType == type && match(e.Data)) return e.Data;
        }
    }

    [Fact]
    public async Task The_log_stream_opens_with_recent_lines_follows_and_resumes_after_the_last_event_id()
    {
        var name = "logs-" + Guid.NewGuid().ToString("N")[..6];
        var app = (await (await fixture.Admin.PostAsJsonAsync(Space + "/apps", new AppRequest(name))).Content.ReadFromJsonAsync<AppResponse>())!;
        var harness = fixture.Host.Services.GetRequiredService<ITestHarness>();
        var now = DateTimeOffset.UtcNow;
        await harness.Bus.Publish(new LogBatch(app.Id, Enumerable.Range(0, 5).Select(i => new LogEntry(now, "APP/PROC/WEB", 0, "OUT", $"line {i}")).ToList()));
        await Eventually.HoldsAsync(async () => { await using var db = fixture.Host.Db(); return await db.LogLines.CountAsync(l => l.AppId == app.Id) == 5; }, "5 lines stored");

        var seen = new List<LogLineResponse>();
        await using (var stream = await SseClient.OpenAsync(fixture.Admin, $"{Space}/apps/{name}/logs/stream?recent=3"))
        {
            for (var i = 0; i < 3; i++) seen.Add(Line(await stream.NextAsync()));
            Assert.Equal(["line 2", "line 3", "line 4"], seen.Select(l => l.Text));
            // New lines come as they are stored.
            await harness.Bus.Publish(new LogBatch(app.Id, [new LogEntry(now, "APP/PROC/WEB", 0, "OUT", "line 5"), new LogEntry(now, "RTR", 0, "OUT", "<script>alert(1)</script>")]));
            seen.Add(Line(await stream.NextAsync()));
            Assert.Equal("line 5", seen[^1].Text);
        }
        // A reconnect with Last-Event-ID gets what came after, once: no gap, no repeat.
        await harness.Bus.Publish(new LogBatch(app.Id, [new LogEntry(now, "CELL", 0, "OUT", "line 7")]));
        await using (var resumed = await SseClient.OpenAsync(fixture.Admin, $"{Space}/apps/{name}/logs/stream?recent=3", seen[^1].Id.ToString()))
        {
            var next = await resumed.NextAsync();
            Assert.True(Line(next).Id > seen[^1].Id, "a line the client had was sent again");
            Assert.Equal("<script>alert(1)</script>", Line(next).Text);
            Assert.Equal("line 7", Line(await resumed.NextAsync()).Text);
        }
        await ProblemAssert.IsProblemAsync(await fixture.Admin.GetAsync($"{Space}/apps/{name}/logs/stream?recent=99999"), HttpStatusCode.BadRequest, "recent");
        using (var bad = new HttpRequestMessage(HttpMethod.Get, $"{Space}/apps/{name}/logs/stream"))
        {
            bad.Headers.Add("Last-Event-ID", "abc");
            await ProblemAssert.IsProblemAsync(await fixture.Admin.SendAsync(bad), HttpStatusCode.BadRequest, "Last-Event-ID");
        }
        await ProblemAssert.IsProblemAsync(await fixture.Admin.GetAsync($"{Space}/apps/nope-{name}/logs/stream"), HttpStatusCode.NotFound, "not found");
        (await fixture.Admin.DeleteAsync($"{Space}/apps/{name}")).EnsureSuccessStatusCode();
    }

    private static LogLineResponse Line(System.Net.ServerSentEvents.SseItem<string>? e)
    {
        Assert.NotNull(e);
        Assert.Equal("message", e.Value.EventType);
        var line = JsonSerializer.Deserialize<LogLineResponse>(e.Value.Data, Json)!;
        Assert.Equal(line.Id.ToString(), e.Value.EventId);
        return line;
    }

    [Fact]
    public async Task Cells_are_for_admins_with_what_their_instances_reserve()
    {
        var cellId = "cell-" + Guid.NewGuid().ToString("N")[..6];
        await using (var db = fixture.Host.Db())
        {
            db.Cells.Add(new CellEntity { Id = cellId, Host = "10.0.0.9", MemoryCapacityMb = 4096, DiskCapacityMb = 8192, MaxInstances = 50, LastHeartbeat = DateTimeOffset.UtcNow });
            foreach (var (state, i) in new[] { (InstanceStates.Running, 0), (InstanceStates.Starting, 1), (InstanceStates.Crashed, 2) })
                db.Instances.Add(new InstanceEntity { Id = Guid.NewGuid(), AppId = Guid.NewGuid(), Index = i, CellId = cellId, State = state, MemoryMb = 256, DiskMb = 1024, CreatedAt = DateTimeOffset.UtcNow, UpdatedAt = DateTimeOffset.UtcNow });
            await db.SaveChangesAsync();
        }
        var cells = await fixture.Admin.GetFromJsonAsync<List<CellResponse>>("/v1/cells");
        var cell = Assert.Single(cells!, c => c.Id == cellId);
        Assert.Equal(("alive", 512, 2048, 2, 4096), (cell.State, cell.MemoryUsedMb, cell.DiskUsedMb, cell.Instances, cell.MemoryCapacityMb));

        var user = "cells-" + Guid.NewGuid().ToString("N")[..6];
        (await fixture.Admin.PostAsJsonAsync("/v1/users", new UserRequest(user, "long-enough-password"))).EnsureSuccessStatusCode();
        using var http = fixture.Host.Client();
        var token = (await (await http.PostAsJsonAsync("/v1/tokens", new TokenRequest(user, "long-enough-password"))).Content.ReadFromJsonAsync<TokenResponse>())!;
        http.DefaultRequestHeaders.Authorization = new("Bearer", token.AccessToken);
        await ProblemAssert.IsProblemAsync(await http.GetAsync("/v1/cells"), HttpStatusCode.Forbidden, "admins");
        await ProblemAssert.IsProblemAsync(await http.GetAsync("/v1/cells/stream"), HttpStatusCode.Forbidden, "admins");
        await using (var db = fixture.Host.Db())
        {
            await db.Instances.Where(i => i.CellId == cellId).ExecuteDeleteAsync();
            await db.Cells.Where(c => c.Id == cellId).ExecuteDeleteAsync();
        }
    }

    [Fact]
    public async Task Metrics_history_comes_from_heartbeats_and_router_reports()
    {
        var name = "metrics-" + Guid.NewGuid().ToString("N")[..6];
        var app = (await (await fixture.Admin.PostAsJsonAsync(Space + "/apps", new AppRequest(name))).Content.ReadFromJsonAsync<AppResponse>())!;
        var harness = fixture.Host.Services.GetRequiredService<ITestHarness>();
        var instance = Guid.NewGuid();
        await harness.Bus.Publish(new CellHeartbeat("cell-m", "h", 1024, 1024, 10,
            [new InstanceReport(instance, app.Id, 0, InstanceState.Running, null, null, null, new ReportVersion(1, 1), null,
                new InstanceMetrics(12.5, 50_000_000, 256L << 20, 1_000_000, 1L << 30, TimeSpan.FromSeconds(9)))],
            new ReportVersion(1, 1), DateTimeOffset.UtcNow));
        await harness.Bus.Publish(new RouterAppStats("r1", DateTimeOffset.UtcNow, TimeSpan.FromSeconds(5),
            [new AppRequestStats(app.Id, 10, 2, 100, [4, 4, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0])]));
        AppMetricsResponse? metrics = null;
        await Eventually.HoldsAsync(async () =>
        {
            metrics = await fixture.Admin.GetFromJsonAsync<AppMetricsResponse>($"{Space}/apps/{name}/metrics");
            return metrics!.Instances.Count == 1 && metrics.Router.Count == 1;
        }, "a sample of each kind");
        var point = Assert.Single(metrics!.Instances[0].Points);
        Assert.Equal((12.5, 50_000_000L), (point.CpuPercent!.Value, point.MemoryBytes!.Value));
        var router = metrics.Router[0];
        Assert.Equal((10L, 2L, 10.0, 25.0), (router.Requests, router.Errors5xx, router.MeanLatencyMs!.Value, router.P95LatencyMs!.Value));
        Assert.Equal(2.0, router.RequestsPerSecond);

        var future = Uri.EscapeDataString(DateTimeOffset.UtcNow.AddMinutes(1).ToString("O"));
        var none = await fixture.Admin.GetFromJsonAsync<AppMetricsResponse>($"{Space}/apps/{name}/metrics?since={future}");
        Assert.Empty(none!.Instances);
        (await fixture.Admin.DeleteAsync($"{Space}/apps/{name}")).EnsureSuccessStatusCode();
    }
}
