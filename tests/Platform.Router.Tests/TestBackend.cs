using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Platform.Router.Tests;

/// <summary>A real Kestrel server on a random loopback port standing in for an app instance.</summary>
public sealed class TestBackend : IAsyncDisposable
{
    private readonly WebApplication _app;
    private int _hits;

    private TestBackend(WebApplication app, string name, string address)
    {
        _app = app;
        Name = name;
        Address = address;
    }

    public string Name { get; }

    /// <summary>"127.0.0.1:port", as a cell would report it.</summary>
    public string Address { get; }

    public int Hits => Volatile.Read(ref _hits);

    /// <summary>Headers of every request this backend received, in order.</summary>
    public ConcurrentQueue<IReadOnlyDictionary<string, string>> Requests { get; } = new();

    /// <summary>The body every response carries: "backend NAME".</summary>
    public string Body => $"backend {Name}";

    public static async Task<TestBackend> StartAsync(string name)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        TestBackend? self = null;
        app.Run(async context =>
        {
            self!.Requests.Enqueue(context.Request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase));
            Interlocked.Increment(ref self._hits);
            context.Response.ContentType = "text/plain";
            // The app echoes a request id of its own: the router must still send exactly one back.
            context.Response.Headers["X-Request-Id"] = "from-the-app";
            await context.Response.WriteAsync(self.Body);
        });
        await app.StartAsync();
        var url = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        self = new TestBackend(app, name, new Uri(url).Authority);
        return self;
    }

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();
}
