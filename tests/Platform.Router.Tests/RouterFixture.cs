using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Platform.Data;
using Platform.Data.Entities;
using Platform.TestSupport;

namespace Platform.Router.Tests;

/// <summary>
/// A fresh database and a router host running against it, as platd would run the role (AddPlatformRouter
/// plus the hosted services it registers), listening on a random loopback port.
/// </summary>
public sealed class RouterFixture : IAsyncLifetime
{
    private TestDatabase _database = null!;
    private IHost _host = null!;

    public IDbContextFactory<PlatformDbContext> Contexts { get; private set; } = null!;
    public RouteTableLoader Loader { get; private set; } = null!;
    public HttpClient Client { get; private set; } = null!;
    public string RouterUrl { get; private set; } = "";
    public IServiceProvider Services => _host.Services;

    /// <summary>Settings a subclass-free fixture can't vary; tests that need others build their own with <see cref="StartRouterAsync"/>.</summary>
    public static Dictionary<string, string?> DefaultSettings => new()
    {
        ["Router:Url"] = "http://127.0.0.1:0",
        // Only explicit reloads change the table here, so tests prove RequestReload works.
        ["Router:ResyncSeconds"] = "3600",
        ["Router:PassiveHealthReactivationSeconds"] = "600",
    };

    public async Task InitializeAsync()
    {
        _database = await TestDatabase.CreateAsync();
        await using (var db = CreateContextFactory(_database.ConnectionString).CreateDbContext())
            await db.Database.MigrateAsync();
        (_host, Client, RouterUrl) = await StartRouterAsync(_database.ConnectionString, DefaultSettings);
        Contexts = _host.Services.GetRequiredService<IDbContextFactory<PlatformDbContext>>();
        Loader = _host.Services.GetRequiredService<RouteTableLoader>();
    }

    public string ConnectionString => _database.ConnectionString;

    public static async Task<(IHost Host, HttpClient Client, string Url)> StartRouterAsync(
        string connectionString, Dictionary<string, string?> settings, Action<HostApplicationBuilder>? configure = null)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { Args = [], DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(settings);
        builder.Services.AddDbContextFactory<PlatformDbContext>(o => o.UseNpgsql(connectionString));
        builder.Services.AddPlatformRouter(builder.Configuration);
        configure?.Invoke(builder);
        var host = builder.Build();
        await host.StartAsync();
        var url = host.Services.GetRequiredService<RouterHost>().Urls.Single();
        var client = new HttpClient(new SocketsHttpHandler { UseCookies = false }) { BaseAddress = new Uri(url) };
        return (host, client, url);
    }

    private static PooledDbContextFactory<PlatformDbContext> CreateContextFactory(string cs) =>
        new(new DbContextOptionsBuilder<PlatformDbContext>().UseNpgsql(cs).Options);

    /// <summary>An app with the route NAME.apps.localhost (unique per call).</summary>
    public async Task<(Guid AppId, string Name, string Host)> AddAppAsync(string prefix, string path = "")
    {
        var name = $"{prefix}-{Guid.NewGuid():N}"[..(prefix.Length + 9)];
        var host = $"{name}.apps.localhost";
        var appId = Guid.NewGuid();
        await using var db = await Contexts.CreateDbContextAsync();
        db.Apps.Add(new AppEntity { Id = appId, Name = name, State = AppStates.Started, CreatedAt = DateTimeOffset.UtcNow, UpdatedAt = DateTimeOffset.UtcNow });
        db.Routes.Add(new RouteEntity { Id = Guid.NewGuid(), AppId = appId, Host = host, Path = path, CreatedAt = DateTimeOffset.UtcNow });
        await db.SaveChangesAsync();
        return (appId, name, host);
    }

    public async Task AddRouteAsync(Guid appId, string host, string path)
    {
        await using var db = await Contexts.CreateDbContextAsync();
        db.Routes.Add(new RouteEntity { Id = Guid.NewGuid(), AppId = appId, Host = host, Path = path, CreatedAt = DateTimeOffset.UtcNow });
        await db.SaveChangesAsync();
    }

    public async Task<Guid> AddInstanceAsync(Guid appId, int index, string? address, string state = InstanceStates.Running)
    {
        var id = Guid.NewGuid();
        await using var db = await Contexts.CreateDbContextAsync();
        db.Instances.Add(new InstanceEntity
        {
            Id = id, AppId = appId, Index = index, CellId = "cell-test", DropletId = Guid.NewGuid(),
            MemoryMb = 64, DiskMb = 64, State = state, Address = address, HostAddress = address,
            CreatedAt = DateTimeOffset.UtcNow, UpdatedAt = DateTimeOffset.UtcNow,
        });
        await db.SaveChangesAsync();
        return id;
    }

    public async Task SetInstanceStateAsync(Guid instanceId, string state, string? address)
    {
        await using var db = await Contexts.CreateDbContextAsync();
        var instance = await db.Instances.SingleAsync(i => i.Id == instanceId);
        instance.State = state;
        instance.Address = address;
        instance.UpdatedAt = DateTimeOffset.UtcNow;
        await db.SaveChangesAsync();
    }

    /// <summary>Reloads the table now (what the bus consumers ask for, but awaited).</summary>
    public Task ReloadAsync() => Loader.ReloadAsync(CancellationToken.None);

    public async Task<HttpResponseMessage> GetAsync(string host, string pathAndQuery = "/", Action<HttpRequestMessage>? configure = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, pathAndQuery);
        request.Headers.Host = host;
        configure?.Invoke(request);
        return await Client.SendAsync(request);
    }

    public async Task DisposeAsync()
    {
        Client.Dispose();
        await _host.StopAsync();
        _host.Dispose();
        await _database.DisposeAsync();
    }
}
