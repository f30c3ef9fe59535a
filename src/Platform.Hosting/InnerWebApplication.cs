using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Platform.Hosting;

/// <summary>
/// A role's own <see cref="WebApplication"/> on a port of its own, run inside the outer host as a hosted service:
/// <c>platd --dev</c> holds the API, the router and the cell's exec listener in one process, each listening
/// where its options say. The inner application shares the outer host's logging and follows its lifetime (no
/// second Ctrl+C handler); a subclass registers what it needs and maps its endpoints.
/// </summary>
public abstract class InnerWebApplication(ILoggerFactory loggerFactory) : IHostedService, IAsyncDisposable
{
    private WebApplication? _app;

    /// <summary>The addresses listened on once started (the real port when the URL asks for port 0).</summary>
    public IReadOnlyList<string> Urls { get; private set; } = [];

    /// <summary>Where to listen, e.g. <c>http://127.0.0.1:7080</c>.</summary>
    protected abstract string ListenUrl { get; }

    /// <summary>Sets up the server (Kestrel listen options, protocols, certificates) after <see cref="ListenUrl"/> is applied.</summary>
    protected virtual void ConfigureWebHost(IWebHostBuilder webHost) { }

    /// <summary>Registers the inner application's services (the outer host's singletons it hands on, its own).</summary>
    protected virtual void ConfigureServices(IServiceCollection services) { }

    /// <summary>Adds middleware and endpoints.</summary>
    protected abstract void Configure(WebApplication app);

    /// <summary>Called once listening, with <see cref="Urls"/> set.</summary>
    protected virtual void OnStarted() { }

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions
        {
            Args = [],
            ApplicationName = GetType().Assembly.GetName().Name,
        });
        builder.WebHost.UseUrls(ListenUrl);
        ConfigureWebHost(builder.WebHost);
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton(loggerFactory);
        builder.Services.AddSingleton<IHostLifetime, FollowOuterHostLifetime>();
        ConfigureServices(builder.Services);
        var app = builder.Build();
        Configure(app);
        await app.StartAsync(cancellationToken);
        _app = app;
        Urls = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses.ToList() ?? [];
        OnStarted();
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_app is not null) await _app.StopAsync(cancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        if (_app is not null) await _app.DisposeAsync();
        _app = null;
        GC.SuppressFinalize(this);
    }

    /// <summary>The outer host owns the process lifetime; the inner application just follows it.</summary>
    private sealed class FollowOuterHostLifetime : IHostLifetime
    {
        public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;
        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
