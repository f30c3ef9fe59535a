using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Platform.Data.Entities;

namespace Platform.Router.Tests;

/// <summary>
/// Cloud Foundry's JSESSIONID stickiness through the real router and two real backends: a response that sets
/// JSESSIONID pins the browser to its instance with __VCAP_ID__, until that instance goes.
/// </summary>
public sealed class SessionStickinessTests(RouterFixture router) : IClassFixture<RouterFixture>
{
    [Fact]
    public async Task A_jsessionid_pins_the_browser_to_the_instance_that_holds_its_session_until_that_instance_goes()
    {
        await using var a = await SessionBackend.StartAsync("a");
        await using var b = await SessionBackend.StartAsync("b");
        var (appId, _, host) = await router.AddAppAsync("jsession");
        var idA = await router.AddInstanceAsync(appId, 0, a.Address);
        var idB = await router.AddInstanceAsync(appId, 1, b.Address);
        await router.ReloadAsync();

        // Without a session, requests are balanced over both instances, and no instance cookie is set.
        var names = new HashSet<string>();
        for (var i = 0; i < 4; i++)
        {
            using var plain = await router.GetAsync(host, "/");
            Assert.Equal(HttpStatusCode.OK, plain.StatusCode);
            Assert.False(plain.Headers.Contains("Set-Cookie"));
            names.Add(await plain.Content.ReadAsStringAsync());
        }
        Assert.Equal(["backend a", "backend b"], names.Order());

        // The app starts a session: the router names the instance that answered.
        using var login = await router.GetAsync(host, "/login");
        var cookies = login.Headers.GetValues("Set-Cookie").ToList();
        var session = Assert.Single(cookies, c => c.StartsWith("JSESSIONID=", StringComparison.Ordinal));
        var instance = Assert.Single(cookies, c => c.StartsWith("__VCAP_ID__=", StringComparison.Ordinal));
        var owner = await login.Content.ReadAsStringAsync();
        var ownerId = owner == "backend a" ? idA : idB;
        Assert.StartsWith($"__VCAP_ID__={ownerId:N}; ", instance);
        Assert.Contains("path=/", instance, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("httponly", instance, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("max-age=600", instance, StringComparison.OrdinalIgnoreCase); // the session cookie's lifetime
        var cookieHeader = $"{session.Split(';')[0]}; {instance.Split(';')[0]}";

        for (var i = 0; i < 10; i++)
        {
            using var pinned = await router.GetAsync(host, "/", r => r.Headers.Add("Cookie", cookieHeader));
            Assert.Equal(owner, await pinned.Content.ReadAsStringAsync());
        }

        // The instance goes: the browser is balanced to one that runs (its session starts again there).
        await router.SetInstanceStateAsync(ownerId, InstanceStates.Stopped, null);
        await router.ReloadAsync();
        using var moved = await router.GetAsync(host, "/", r => r.Headers.Add("Cookie", cookieHeader));
        Assert.Equal(HttpStatusCode.OK, moved.StatusCode);
        Assert.NotEqual(owner, await moved.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task A_stale_or_forged_instance_cookie_is_balanced_like_any_request()
    {
        await using var a = await SessionBackend.StartAsync("a");
        var (appId, _, host) = await router.AddAppAsync("jsforged");
        await router.AddInstanceAsync(appId, 0, a.Address);
        await router.ReloadAsync();

        using var response = await router.GetAsync(host, "/", r => r.Headers.Add("Cookie", $"__VCAP_ID__={Guid.NewGuid():N}"));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("backend a", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public void The_instance_cookie_follows_the_session_cookie_and_is_only_added_for_jsessionid()
    {
        var context = new DefaultHttpContext();
        context.Response.Headers.Append("Set-Cookie", "other=1; Path=/");
        SessionStickinessMiddleware.AddInstanceCookie(context.Response, Destination("abc"));
        Assert.Single(context.Response.Headers.SetCookie);

        context = new DefaultHttpContext();
        context.Response.Headers.Append("Set-Cookie", "JSESSIONID=x; Path=/app; Secure; SameSite=None; Max-Age=0");
        SessionStickinessMiddleware.AddInstanceCookie(context.Response, Destination("abc"));
        var added = context.Response.Headers.SetCookie[1]!;
        Assert.StartsWith("__VCAP_ID__=abc; ", added);
        Assert.Contains("max-age=0", added); // an expired session expires the pin
        Assert.Contains("secure", added);
        Assert.Contains("samesite=none", added);
        Assert.Contains("path=/;", added);
    }

    private static Yarp.ReverseProxy.Model.DestinationState Destination(string id) => new(id);

    /// <summary>A Kestrel backend that starts a servlet-style session on /login (JSESSIONID, 10 minutes).</summary>
    private sealed class SessionBackend : IAsyncDisposable
    {
        private readonly WebApplication _app;

        private SessionBackend(WebApplication app, string address)
        {
            _app = app;
            Address = address;
        }

        public string Address { get; }

        public static async Task<SessionBackend> StartAsync(string name)
        {
            var builder = WebApplication.CreateSlimBuilder();
            builder.WebHost.UseUrls("http://127.0.0.1:0");
            builder.Logging.ClearProviders();
            var app = builder.Build();
            app.Run(async context =>
            {
                if (context.Request.Path == "/login")
                    context.Response.Headers.Append("Set-Cookie", $"JSESSIONID={Guid.NewGuid():N}; Path=/; HttpOnly; Max-Age=600");
                context.Response.ContentType = "text/plain";
                await context.Response.WriteAsync($"backend {name}");
            });
            await app.StartAsync();
            var url = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
            return new SessionBackend(app, new Uri(url).Authority);
        }

        public async ValueTask DisposeAsync() => await _app.DisposeAsync();
    }
}
