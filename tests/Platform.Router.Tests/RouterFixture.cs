using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Platform.Data;
using Platform.Bus;
using Platform.Data.Entities;
using Platform.TestSupport;

namespace Platform.Router.Tests;

/// <summary>
/// What a router needs around it, real: a fresh database, a RabbitMQ virtual host of its own, and the API role over
/// them (it serves the route table snapshot and stores the access lines routers ship); plus a router host started as platd runs the role
/// (AddPlatformRouter, its hosted services and bus consumers), listening on a random loopback port. Tests that need
/// other router settings start more routers with <see cref="StartRouterAsync"/>; all are stopped on dispose.
/// </summary>
public sealed class RouterFixture : IAsyncLifetime
{
    private TestDatabase _database = null!;
    private TestRabbitMq _rabbit = null!;
    private readonly List<IHost> _routers = [];
    private IHost _host = null!;

    public TestApi Api { get; private set; } = null!;
    public IDbContextFactory<PlatformDbContext> Contexts => Api.Contexts;
    public RouteTableLoader Loader { get; private set; } = null!;
    public HttpClient Client { get; private set; } = null!;
    public string RouterUrl { get; private set; } = "";
    /// <summary>The fixture router's plain HTTP/2 (prior knowledge) endpoint, Router:H2cUrl.</summary>
    public string RouterH2cUrl { get; private set; } = "";
    public string RabbitMqUrl => _rabbit.Url;
    /// <summary>The router credential the fixture's API wants (Api:RouterToken) and its routers present (Router:ApiToken).</summary>
    public string RouterToken { get; } = Convert.ToHexString(System.Security.Cryptography.RandomNumberGenerator.GetBytes(16));
    public IServiceProvider RouterServices => _host.Services;
    public IServiceProvider Services => _host.Services;

    /// <summary>Settings of the fixture's router; tests that need others start their own with <see cref="StartRouterAsync"/>.</summary>
    public static Dictionary<string, string?> DefaultSettings => new()
    {
        ["Router:Url"] = "http://127.0.0.1:0",
        ["Router:H2cUrl"] = "http://127.0.0.1:0",
        // Only explicit reloads change the table here, so tests prove RequestReload works.
        ["Router:ResyncSeconds"] = "3600",
        ["Router:PassiveHealthReactivationSeconds"] = "600",
    };

    public async Task InitializeAsync()
    {
        _database = await TestDatabase.CreateAsync();
        _rabbit = await TestRabbitMq.CreateAsync();
        Api = await TestApi.StartAsync(_database.ConnectionString, _rabbit.Url,
            new Dictionary<string, string?> { ["Api:RouterToken"] = RouterToken });
        (_host, Client, RouterUrl) = await StartRouterAsync(DefaultSettings);
        Loader = _host.Services.GetRequiredService<RouteTableLoader>();
        RouterH2cUrl = _host.Services.GetRequiredService<RouterHost>().Urls.Where(u => u.StartsWith("http://", StringComparison.Ordinal)).ElementAt(1);
    }

    public string ConnectionString => _database.ConnectionString;

    /// <summary>A router host on this fixture's database and bus; <paramref name="overrides"/> go over <see cref="DefaultSettings"/>.</summary>
    public async Task<(IHost Host, HttpClient Client, string Url)> StartRouterAsync(
        Dictionary<string, string?>? overrides = null, Action<HostApplicationBuilder>? configure = null)
    {
        var settings = DefaultSettings;
        settings["Bus:Transport"] = "RabbitMq";
        settings["Bus:RabbitMq:Url"] = _rabbit.Url;
        settings["Router:ApiUrl"] = Api.Url;
        settings["Router:ApiToken"] = RouterToken;
        foreach (var (k, v) in overrides ?? []) settings[k] = v;
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { Args = [], DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(settings);
        // No database here: the router loads its table from the API, as on the internet edge.
        builder.Services.AddPlatformRouter(builder.Configuration);
        var instanceId = $"router-test-{Guid.NewGuid():N}";
        builder.Services.AddPlatformBus(builder.Configuration, x => x.AddRouterConsumers(instanceId));
        configure?.Invoke(builder);
        var host = builder.Build();
        await host.StartAsync();
        _routers.Add(host);
        var url = host.Services.GetRequiredService<RouterHost>().Urls.First(u => u.StartsWith("http://", StringComparison.Ordinal));
        var client = new HttpClient(new SocketsHttpHandler { UseCookies = false }) { BaseAddress = new Uri(url) };
        return (host, client, url);
    }

    /// <summary>An app with the route NAME.apps.localhost (unique per call: NAME is the prefix and 8 random hex digits).</summary>
    public Task<(Guid AppId, string Name, string Host)> AddAppAsync(string prefix, string path = "", string protocol = "http1") =>
        AddAppNamedAsync($"{prefix}-{Guid.NewGuid():N}"[..(prefix.Length + 9)], path, protocol);

    /// <summary>An app named exactly <paramref name="name"/> with the route NAME.apps.localhost.</summary>
    public async Task<(Guid AppId, string Name, string Host)> AddAppNamedAsync(string name, string path = "", string protocol = "http1")
    {
        var host = $"{name}.apps.localhost";
        var appId = Guid.NewGuid();
        await using var db = await Contexts.CreateDbContextAsync();
        db.Apps.Add(new AppEntity { Id = appId, Name = name, State = AppStates.Started, CreatedAt = DateTimeOffset.UtcNow, UpdatedAt = DateTimeOffset.UtcNow });
        db.Routes.Add(new RouteEntity { Id = Guid.NewGuid(), AppId = appId, Host = host, Path = path, Protocol = protocol, CreatedAt = DateTimeOffset.UtcNow });
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
        foreach (var router in _routers)
        {
            await router.StopAsync();
            router.Dispose();
        }
        if (Api is not null) await Api.DisposeAsync();
        await _rabbit.DisposeAsync();
        await _database.DisposeAsync();
    }
}
