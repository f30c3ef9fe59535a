using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using MassTransit;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Platform.Api;
using Platform.Api.Consumers;
using Platform.Blobstore;
using Platform.Contracts.Api;
using Platform.Data;
using Platform.TestSupport;

namespace Platform.Api.Tests;

/// <summary>
/// The API role on a real Kestrel at 127.0.0.1 (a free port), over a fresh real PostgreSQL database
/// (migrated with the real migrations), a directory blobstore in a temp dir, and MassTransit's in-memory
/// test harness carrying the API's consumers. The outbox dispatcher is off, so tests can see what the API
/// wrote to the outbox.
/// </summary>
public sealed class ApiHost : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly TestDatabase _database;

    private ApiHost(WebApplication app, TestDatabase database, string dataDir, string url)
    {
        _app = app;
        _database = database;
        DataDir = dataDir;
        Url = url;
    }

    public string Url { get; }
    public string DataDir { get; }
    public string BlobDir => Path.Combine(DataDir, "blobs");
    public IServiceProvider Services => _app.Services;
    public string AdminPassword { get; private set; } = "";

    public static async Task<ApiHost> StartAsync(IDictionary<string, string?>? settings = null)
    {
        var database = await TestDatabase.CreateAsync();
        var dataDir = Directory.CreateTempSubdirectory("platform-api-test-").FullName;
        var config = new Dictionary<string, string?>
        {
            ["ConnectionStrings:Platform"] = database.ConnectionString,
            ["Outbox:DispatcherEnabled"] = "false",
            ["DataDir"] = dataDir,
            ["Blobstore:Kind"] = "Directory",
            ["Blobstore:Directory"] = Path.Combine(dataDir, "blobs"),
        };
        foreach (var (k, v) in settings ?? new Dictionary<string, string?>()) config[k] = v;

        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Configuration.AddInMemoryCollection(config);
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        // Migrating a fresh database logs a failed query of the (not yet existing) history table; errors still surface as exceptions.
        builder.Logging.AddFilter("Microsoft.EntityFrameworkCore.Database.Command", LogLevel.None);
        builder.Services.AddPlatformData(builder.Configuration);
        builder.Services.AddPlatformBlobstore(builder.Configuration);
        builder.Services.AddPlatformApi(builder.Configuration);
        builder.Services.AddMassTransitTestHarness(x => x.AddApiConsumers());
        var app = builder.Build();
        await app.Services.GetRequiredService<DatabaseMigrator>().MigrateAsync(CancellationToken.None);
        app.MapPlatformApi();
        await app.StartAsync();

        var host = new ApiHost(app, database, dataDir, app.Urls.First());
        using var bootstrap = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(dataDir, "bootstrap-admin.json")));
        host.AdminPassword = bootstrap.RootElement.GetProperty("password").GetString()!;
        return host;
    }

    /// <summary>An unauthenticated client.</summary>
    public HttpClient Client() => new() { BaseAddress = new Uri(Url), Timeout = TimeSpan.FromSeconds(60) };

    /// <summary>A client logged in as the bootstrap admin.</summary>
    public async Task<HttpClient> AdminClientAsync()
    {
        var http = Client();
        var resp = await http.PostAsJsonAsync("/v1/tokens", new TokenRequest("admin", AdminPassword));
        resp.EnsureSuccessStatusCode();
        var token = (await resp.Content.ReadFromJsonAsync<TokenResponse>())!;
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token.AccessToken);
        return http;
    }

    /// <summary>A fresh context on the test database, for checking what the API wrote.</summary>
    public PlatformDbContext Db() => _app.Services.GetRequiredService<IDbContextFactory<PlatformDbContext>>().CreateDbContext();

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        await _database.DisposeAsync();
        try { Directory.Delete(DataDir, recursive: true); } catch (IOException) { }
    }
}
