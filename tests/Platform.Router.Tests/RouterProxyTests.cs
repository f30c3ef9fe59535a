using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using Microsoft.EntityFrameworkCore;
using Platform.Data.Entities;

namespace Platform.Router.Tests;

/// <summary>The router end to end: real Postgres, real Kestrel backends, real HTTP through the router.</summary>
public sealed class RouterProxyTests(RouterFixture router) : IClassFixture<RouterFixture>
{
    [Fact]
    public async Task Request_for_an_app_host_reaches_its_backend_with_forwarded_headers()
    {
        await using var backend = await TestBackend.StartAsync("a");
        var (appId, _, host) = await router.AddAppAsync("site");
        await router.AddInstanceAsync(appId, 0, backend.Address);
        await router.ReloadAsync();

        using var response = await router.GetAsync(host, "/hello?x=1");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(backend.Body, await response.Content.ReadAsStringAsync());
        var seen = Assert.Single(backend.Requests);
        Assert.Equal(host, seen["Host"]);
        Assert.Equal(host, seen["X-Forwarded-Host"]);
        Assert.Equal("http", seen["X-Forwarded-Proto"]);
        Assert.Equal("127.0.0.1", seen["X-Forwarded-For"]);
        var requestId = seen["X-Request-Id"];
        Assert.Matches("^[0-9a-f]{32}$", requestId);
        Assert.Equal([requestId], response.Headers.GetValues("X-Request-Id"));
    }

    [Fact]
    public async Task A_host_header_with_a_port_and_other_case_is_routed()
    {
        await using var backend = await TestBackend.StartAsync("port");
        var (appId, _, host) = await router.AddAppAsync("port");
        await router.AddInstanceAsync(appId, 0, backend.Address);
        await router.ReloadAsync();

        using var response = await router.GetAsync(host.ToUpperInvariant() + ":7080");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(backend.Body, await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task A_callers_request_id_is_kept()
    {
        await using var backend = await TestBackend.StartAsync("a");
        var (appId, _, host) = await router.AddAppAsync("reqid");
        await router.AddInstanceAsync(appId, 0, backend.Address);
        await router.ReloadAsync();

        using var response = await router.GetAsync(host, "/", r => r.Headers.Add("X-Request-Id", "caller-id-123"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("caller-id-123", Assert.Single(backend.Requests)["X-Request-Id"]);
        Assert.Equal(["caller-id-123"], response.Headers.GetValues("X-Request-Id"));
    }

    [Fact]
    public async Task Three_backends_share_requests_round_robin()
    {
        await using var a = await TestBackend.StartAsync("a");
        await using var b = await TestBackend.StartAsync("b");
        await using var c = await TestBackend.StartAsync("c");
        var (appId, _, host) = await router.AddAppAsync("rr");
        await router.AddInstanceAsync(appId, 0, a.Address);
        await router.AddInstanceAsync(appId, 1, b.Address);
        await router.AddInstanceAsync(appId, 2, c.Address);
        await router.ReloadAsync();

        var bodies = new List<string>();
        for (var i = 0; i < 30; i++)
        {
            using var response = await router.GetAsync(host);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            bodies.Add(await response.Content.ReadAsStringAsync());
        }

        // Round robin over three healthy backends: each gets exactly a third, and no two in a row are equal.
        Assert.Equal([10, 10, 10], new[] { a.Hits, b.Hits, c.Hits });
        Assert.All(bodies.Zip(bodies.Skip(1)), pair => Assert.NotEqual(pair.First, pair.Second));
    }

    [Fact]
    public async Task Unknown_host_is_404_with_a_short_text()
    {
        using var response = await router.GetAsync("nope.apps.localhost", "/x");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("text/plain", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("404 Not Found: unknown route 'nope.apps.localhost/x'\n", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Known_app_without_running_instances_is_503()
    {
        await using var backend = await TestBackend.StartAsync("a");
        var (appId, name, host) = await router.AddAppAsync("idle");
        await router.AddInstanceAsync(appId, 0, backend.Address, InstanceStates.Starting);
        await router.AddInstanceAsync(appId, 1, backend.Address, InstanceStates.Crashed);
        await router.AddInstanceAsync(appId, 2, null, InstanceStates.Running); // running but no address yet
        await router.ReloadAsync();

        using var response = await router.GetAsync(host);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Equal($"503 Service Unavailable: no running instances of app '{name}'\n", await response.Content.ReadAsStringAsync());
        Assert.Equal(0, backend.Hits);
    }

    [Fact]
    public async Task A_backend_that_is_down_gives_502_then_leaves_the_rotation()
    {
        await using var up = await TestBackend.StartAsync("up");
        var down = ClosedLoopbackAddress();
        var (appId, name, host) = await router.AddAppAsync("flaky");
        await router.AddInstanceAsync(appId, 0, up.Address);
        await router.AddInstanceAsync(appId, 1, down);
        await router.ReloadAsync();

        // Round robin reaches the dead one within two requests.
        var statuses = new List<HttpStatusCode>();
        string? errorBody = null;
        for (var i = 0; i < 2; i++)
        {
            using var response = await router.GetAsync(host);
            statuses.Add(response.StatusCode);
            if (response.StatusCode == HttpStatusCode.BadGateway) errorBody = await response.Content.ReadAsStringAsync();
        }
        Assert.Contains(HttpStatusCode.BadGateway, statuses);
        Assert.StartsWith($"502 Bad Gateway: an instance of app '{name}' failed", errorBody);

        var hitsBefore = up.Hits;
        for (var i = 0; i < 20; i++)
        {
            using var response = await router.GetAsync(host);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }
        Assert.Equal(hitsBefore + 20, up.Hits);
    }

    [Fact]
    public async Task An_instance_turning_running_is_routed_after_RequestReload()
    {
        await using var backend = await TestBackend.StartAsync("late");
        var (appId, _, host) = await router.AddAppAsync("late");
        var instanceId = await router.AddInstanceAsync(appId, 0, null, InstanceStates.Starting);
        await router.ReloadAsync();
        using (var before = await router.GetAsync(host))
            Assert.Equal(HttpStatusCode.ServiceUnavailable, before.StatusCode);

        await router.SetInstanceStateAsync(instanceId, InstanceStates.Running, backend.Address);
        router.Loader.RequestReload();

        // Resync is an hour in this fixture: only the requested reload can make this pass.
        await Eventually.ReturnsAsync(
            async () => { using var r = await router.GetAsync(host); return r.StatusCode; },
            s => s == HttpStatusCode.OK, "the new instance to be routed");
        Assert.True(backend.Hits >= 1);
    }

    [Fact]
    public async Task An_instance_that_stops_leaves_the_route_after_RequestReload()
    {
        await using var backend = await TestBackend.StartAsync("going");
        var (appId, _, host) = await router.AddAppAsync("going");
        var instanceId = await router.AddInstanceAsync(appId, 0, backend.Address);
        await router.ReloadAsync();
        using (var before = await router.GetAsync(host))
            Assert.Equal(HttpStatusCode.OK, before.StatusCode);

        await router.SetInstanceStateAsync(instanceId, InstanceStates.Stopping, backend.Address);
        router.Loader.RequestReload();

        await Eventually.ReturnsAsync(
            async () => { using var r = await router.GetAsync(host); return r.StatusCode; },
            s => s == HttpStatusCode.ServiceUnavailable, "the stopping instance to leave the route");
    }

    [Fact]
    public async Task Path_routes_win_over_the_whole_host()
    {
        await using var web = await TestBackend.StartAsync("web");
        await using var api = await TestBackend.StartAsync("api");
        var (webApp, _, host) = await router.AddAppAsync("paths");
        var (apiApp, _, _) = await router.AddAppAsync("paths-api");
        await router.AddRouteAsync(apiApp, host, "/api");
        await router.AddInstanceAsync(webApp, 0, web.Address);
        await router.AddInstanceAsync(apiApp, 0, api.Address);
        await router.ReloadAsync();

        async Task<string> BodyOf(string path)
        {
            using var response = await router.GetAsync(host, path);
            return await response.Content.ReadAsStringAsync();
        }

        Assert.Equal(api.Body, await BodyOf("/api"));
        Assert.Equal(api.Body, await BodyOf("/api/users?id=1"));
        Assert.Equal(web.Body, await BodyOf("/apiary"));
        Assert.Equal(web.Body, await BodyOf("/"));
    }

    [Fact]
    public async Task Access_lines_are_written_to_the_apps_log_as_RTR()
    {
        await using var backend = await TestBackend.StartAsync("logged");
        var (appId, _, host) = await router.AddAppAsync("logged");
        await router.AddInstanceAsync(appId, 0, backend.Address);
        await router.ReloadAsync();

        for (var i = 0; i < 3; i++)
        {
            using var response = await router.GetAsync(host, $"/page/{i}?q=1");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        var lines = await Eventually.ReturnsAsync(async () =>
        {
            await using var db = await router.Contexts.CreateDbContextAsync();
            // Batches can be stored in any order; a line's timestamp is when its request started.
            return await db.LogLines.AsNoTracking().Where(l => l.AppId == appId).OrderBy(l => l.Timestamp).ToListAsync();
        }, l => l.Count >= 3, "three access lines in log_lines");

        Assert.Equal(3, lines.Count);
        Assert.All(lines, l => Assert.Equal(("RTR", 0, "OUT"), (l.Source, l.SourceIndex, l.Stream)));
        for (var i = 0; i < 3; i++)
        {
            var pattern = "^" + Regex.Escape($"{host} - \"GET /page/{i}?q=1 HTTP/1.1\" 200 {backend.Body.Length} ")
                + @"\d+\.\d{3}s x_request_id:""[0-9a-f]{32}"" backend:""" + Regex.Escape(backend.Address) + "\"$";
            Assert.Matches(pattern, lines[i].Text);
        }
    }

    [Fact]
    public async Task A_503_for_a_known_app_is_logged_too()
    {
        var (appId, _, host) = await router.AddAppAsync("down-logged");
        await router.ReloadAsync();

        using (var response = await router.GetAsync(host))
            Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);

        var lines = await Eventually.ReturnsAsync(async () =>
        {
            await using var db = await router.Contexts.CreateDbContextAsync();
            return await db.LogLines.AsNoTracking().Where(l => l.AppId == appId).ToListAsync();
        }, l => l.Count >= 1, "an access line for the 503");
        Assert.Contains("\"GET / HTTP/1.1\" 503 ", Assert.Single(lines).Text);
    }

    /// <summary>A loopback port nothing listens on (bound, then released): connecting is refused.</summary>
    private static string ClosedLoopbackAddress()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return $"127.0.0.1:{port}";
    }
}
