using Microsoft.Extensions.Options;
using Platform.Api;
using Platform.Api.Consumers;
using Platform.Blobstore;
using Platform.Bus;
using Platform.Cell;
using Platform.Data;
using Platform.Hosting;
using Platform.Router;
using Platform.Sandbox;
using Platform.Scheduler;
using Platform.Staging;

namespace Platform.Server;

/// <summary>
/// platd: one executable, any set of roles. `platd --dev` runs every role in one process with the
/// in-memory bus and blobs in a directory; `platd --roles cell` and the like run a part on many hosts.
/// Configuration comes from appsettings.json, PLATFORM_-prefixed environment variables
/// (PLATFORM_ConnectionStrings__Platform=...) and --Section:Key=value arguments.
/// </summary>
public static class PlatformServer
{
    public static async Task<int> RunAsync(string[] args)
    {
        if (args.Length > 0 && args[0] == "rabbitmq-permissions") return RabbitMqPermissionsCommand.Run(args[1..]);
        var dev = args.Contains("--dev");
        var roles = Roles.All;
        var rest = new List<string>();
        var configFiles = new List<string>();
        for (var i = 0; i < args.Length; i++)
        {
            if (args[i] == "--dev") continue;
            if (args[i] == "--config" && i + 1 < args.Length) { configFiles.Add(args[++i]); continue; }
            if (args[i] == "--roles" && i + 1 < args.Length) { roles = RoleParser.Parse(args[++i]); continue; }
            if (args[i] is "-h" or "--help") { Console.WriteLine(Help); return 0; }
            rest.Add(args[i]);
        }

        // appsettings.json sits beside platd, wherever it is started from.
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions
        {
            Args = rest.ToArray(),
            ContentRootPath = AppContext.BaseDirectory,
        });
        // A host's own settings (/etc/platform/platd.ini from deploy/install.sh, a cluster host's file): above
        // appsettings.json, below environment variables and arguments.
        foreach (var file in configFiles) AddConfigFile(builder.Configuration, file);
        builder.Configuration.AddEnvironmentVariables("PLATFORM_");
        if (dev) builder.Configuration.AddInMemoryCollection(DevDefaults(builder.Configuration));
        builder.Configuration.AddCommandLine(rest.ToArray());
        var config = builder.Configuration;
        // A real PID 1 in every sandbox (reaps orphans, forwards SIGTERM) when the host has one.
        if (config["Sandbox:InitPath"] is null && File.Exists(DefaultInit))
            config["Sandbox:InitPath"] = DefaultInit;
        var apiUrl = config["Api:Url"] ?? "http://127.0.0.1:7070";
        builder.WebHost.UseUrls(apiUrl);
        if (roles.HasFlag(Roles.Api) && roles.HasFlag(Roles.Router)) config.AddInMemoryCollection(InProcessRouterDefaults(config, apiUrl));
        if (roles.HasFlag(Roles.Api) && roles.HasFlag(Roles.Cell)) config.AddInMemoryCollection(InProcessExecGrantDefaults(config));

        builder.AddPlatformObservability(RoleParser.Format(roles), PlatformMeters);
        var services = builder.Services;
        services.AddSingleton(TimeProvider.System);
        var cellId = config["Cell:Id"] ?? new CellOptions().Id;
        var routerInstance = $"router-{Environment.MachineName.ToLowerInvariant()}-{Environment.ProcessId}";

        if (RoleParser.NeedsDatabase(roles)) services.AddPlatformData(config);
        if ((roles & (Roles.Api | Roles.Stager | Roles.Cell)) != 0) services.AddPlatformBlobstore(config);
        if ((roles & (Roles.Stager | Roles.Cell)) != 0) services.AddPlatformSandbox(config);
        if (roles.HasFlag(Roles.Api)) services.AddPlatformApi(config);
        if (roles.HasFlag(Roles.Scheduler)) services.AddPlatformScheduler(config);
        if (roles.HasFlag(Roles.Stager)) services.AddPlatformStaging(config);
        if (roles.HasFlag(Roles.Cell)) services.AddPlatformCell(config);
        if (roles.HasFlag(Roles.Router)) services.AddPlatformRouter(config);
        services.AddPlatformBus(config, x =>
        {
            if (roles.HasFlag(Roles.Api)) x.AddApiConsumers();
            if (roles.HasFlag(Roles.Scheduler)) x.AddSchedulerConsumers();
            if (roles.HasFlag(Roles.Stager)) x.AddStagerConsumers();
            if (roles.HasFlag(Roles.Cell)) x.AddCellConsumers(cellId);
            if (roles.HasFlag(Roles.Router)) x.AddRouterConsumers(routerInstance);
        });

        var app = builder.Build();
        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("platd");
        if (RoleParser.NeedsDatabase(roles))
            await app.Services.GetRequiredService<DatabaseMigrator>().MigrateAsync(CancellationToken.None);

        if (roles.HasFlag(Roles.Api)) app.MapPlatformApi(); // maps /healthz too
        foreach (var endpoint in app.MapPlatformObservability(mapHealthz: !roles.HasFlag(Roles.Api)))
            endpoint.WithMetadata(new Platform.Api.Access.AnonymousAccess()); // what a scraper or a load balancer asks
        // Meters whose instruments are created with their owner: make them exist before the first scrape.
        if (roles.HasFlag(Roles.Cell)) app.Services.GetRequiredService<CellMetrics>();
        if (roles.HasFlag(Roles.Scheduler)) app.Services.GetRequiredService<SchedulerMetrics>();

        logger.LogInformation("platd starting roles {Roles}{Dev}; API on {ApiUrl}", roles, dev ? " (dev)" : "", apiUrl);
        await app.RunAsync();
        return 0;
    }

    private const string DefaultInit = "/usr/bin/catatonit";

    /// <summary>The platform's own meters, exported at /metrics by every role that has them.</summary>
    private static readonly string[] PlatformMeters =
    [
        RouterMetrics.MeterName, SchedulerMetrics.MeterName, CellMetrics.MeterName,
        StagingMetrics.MeterName, Platform.Data.Outbox.OutboxMetrics.MeterName,
    ];

    /// <summary>A settings file: JSON (*.json, nested like appsettings.json) or INI ([Section] then Key=value lines).</summary>
    private static void AddConfigFile(ConfigurationManager configuration, string path)
    {
        var full = Path.GetFullPath(path);
        if (!File.Exists(full)) throw new FileNotFoundException($"--config {path}: no such file", full);
        if (full.EndsWith(".json", StringComparison.OrdinalIgnoreCase)) configuration.AddJsonFile(full, optional: false);
        else configuration.AddIniFile(full, optional: false);
    }

    /// <summary>
    /// A router beside the API in one process loads its route table from that API, with a router credential made up
    /// for this run when none is configured (routers on other hosts need Api:RouterToken = their Router:ApiToken).
    /// </summary>
    private static Dictionary<string, string?> InProcessRouterDefaults(IConfiguration config, string apiUrl)
    {
        var defaults = new Dictionary<string, string?>();
        if (config["Router:ApiUrl"] is null)
            defaults["Router:ApiUrl"] = apiUrl.Replace("://0.0.0.0:", "://127.0.0.1:", StringComparison.Ordinal)
                .Replace("://*:", "://127.0.0.1:", StringComparison.Ordinal).Replace("://+:", "://127.0.0.1:", StringComparison.Ordinal);
        var token = config["Api:RouterToken"] ?? config["Router:ApiToken"]
            ?? Convert.ToHexString(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));
        if (config["Api:RouterToken"] is null) defaults["Api:RouterToken"] = token;
        if (config["Router:ApiToken"] is null) defaults["Router:ApiToken"] = token;
        return defaults;
    }

    /// <summary>
    /// An API beside a cell in one process signs exec grants with a key made up for this run when none is configured
    /// (cells on other hosts need Cell:ExecGrantKey = the API's Api:ExecGrantKey). Never logged.
    /// </summary>
    private static Dictionary<string, string?> InProcessExecGrantDefaults(IConfiguration config)
    {
        var defaults = new Dictionary<string, string?>();
        var key = config["Api:ExecGrantKey"] ?? config["Cell:ExecGrantKey"]
            ?? Convert.ToHexString(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));
        if (config["Api:ExecGrantKey"] is null) defaults["Api:ExecGrantKey"] = key;
        if (config["Cell:ExecGrantKey"] is null) defaults["Cell:ExecGrantKey"] = key;
        return defaults;
    }

    /// <summary>What --dev sets unless configuration already says otherwise.</summary>
    private static Dictionary<string, string?> DevDefaults(IConfiguration config)
    {
        var dataDir = config["DataDir"] ?? "/var/lib/platform/dev";
        var defaults = new Dictionary<string, string?>
        {
            ["Bus:Transport"] = "InMemory",
            ["Blobstore:Kind"] = "Directory",
            ["Blobstore:Directory"] = Path.Combine(dataDir, "blobs"),
            ["Api:DataDir"] = dataDir,
            ["Sandbox:Root"] = Path.Combine(dataDir, "sandbox"),
            // Work folders are this platd's own: a stager's start-up janitor removes the ones it finds.
            // The download cache (Staging:CacheDir) stays shared: it is keyed by sha256 and written atomically.
            ["Staging:WorkDir"] = Path.Combine(dataDir, "staging", "work"),
            // Stopping the dev server leaves nothing running (a `--roles cell` agent leaves its instances to the next one).
            ["Cell:StopInstancesOnShutdown"] = "true",
        };
        return defaults.Where(kv => config[kv.Key] is null).ToDictionary();
    }

    private const string Help = """
        platd: the Platform server.

        Usage: platd [--dev] [--roles api,scheduler,stager,cell,router] [--config FILE] [--Section:Key=value ...]

          --dev       every role in one process, in-memory bus, blobs in a directory under DataDir
                      (default /var/lib/platform/dev)
          --roles R   the roles to run (default: all)
          --config F  settings from F: INI ([Section] and Key=value lines) or JSON (*.json); may be repeated

        Settings (appsettings.json, PLATFORM_Section__Key environment variables, or --Section:Key=value):
          ConnectionStrings:Platform   PostgreSQL (Npgsql) connection string
          Api:Url                      where the API listens (default http://127.0.0.1:7070)
          Router:Url                   where the router listens (default http://127.0.0.1:7080)
          Router:ApiUrl, ApiToken      a router's API and credential (= the API's Api:RouterToken);
                                       set for you when the api and router roles share a process
          Api:ExecGrantKey             the secret exec grants are signed with (= every cell's
                                       Cell:ExecGrantKey); set for you when api and cell share a process
          Bus:Transport                InMemory or RabbitMq; Bus:RabbitMq:Url
          Blobstore:Kind               Directory or S3; see docs/configuration.md
        """;
}
