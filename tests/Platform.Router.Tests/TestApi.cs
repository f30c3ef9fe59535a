using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Platform.Api;
using Platform.Api.Consumers;
using Platform.Blobstore;
using Platform.Bus;
using Platform.Data;
using Platform.TestSupport;

namespace Platform.Router.Tests;

/// <summary>
/// The real API role for the router's tests, on a real Kestrel (a free loopback port) over a test database, with its
/// consumers on the test's RabbitMQ virtual host: it stores the access lines routers ship as LogBatch messages.
/// </summary>
public sealed class TestApi : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly string _dataDir;

    private TestApi(WebApplication app, string dataDir, string url)
    {
        _app = app;
        _dataDir = dataDir;
        Url = url;
    }

    public string Url { get; }
    public IDbContextFactory<PlatformDbContext> Contexts => _app.Services.GetRequiredService<IDbContextFactory<PlatformDbContext>>();
    public IServiceProvider Services => _app.Services;

    public static async Task<TestApi> StartAsync(string connectionString, string rabbitMqUrl, IDictionary<string, string?>? settings = null)
    {
        var dataDir = Directory.CreateTempSubdirectory("platform-router-api-").FullName;
        var config = new Dictionary<string, string?>
        {
            ["ConnectionStrings:Platform"] = connectionString,
            ["DataDir"] = dataDir,
            ["Blobstore:Kind"] = "Directory",
            ["Blobstore:Directory"] = Path.Combine(dataDir, "blobs"),
            ["Bus:Transport"] = "RabbitMq",
            ["Bus:RabbitMq:Url"] = rabbitMqUrl,
        };
        foreach (var (k, v) in settings ?? new Dictionary<string, string?>()) config[k] = v;
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Configuration.AddInMemoryCollection(config);
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.Logging.AddFilter("Microsoft.EntityFrameworkCore.Database.Command", LogLevel.None);
        builder.Services.AddPlatformData(builder.Configuration);
        builder.Services.AddPlatformBlobstore(builder.Configuration);
        builder.Services.AddPlatformApi(builder.Configuration);
        builder.Services.AddPlatformBus(builder.Configuration, x => x.AddApiConsumers());
        var app = builder.Build();
        await app.Services.GetRequiredService<DatabaseMigrator>().MigrateAsync(CancellationToken.None);
        app.MapPlatformApi();
        await app.StartAsync();
        return new TestApi(app, dataDir, app.Urls.First());
    }

    public async Task StopAsync() => await _app.StopAsync();

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        try { Directory.Delete(_dataDir, recursive: true); } catch (IOException) { }
    }
}
