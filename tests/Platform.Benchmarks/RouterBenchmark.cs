using System.Net;
using Npgsql;
using Platform.TestSupport;

namespace Platform.Benchmarks;

/// <summary>
/// The router against nginx, side by side in one run, on one trivial backend (an nginx serving a 23-byte file):
/// wrk (one thread, keep-alive) straight to the backend, through nginx (one worker, keep-alive upstream pool), through
/// our router as its own process (`platd --roles router`) and through the router inside `platd --dev`. The backend
/// is registered with the platform as a RUNNING instance of an app on a stand-in cell (a cells row whose heartbeat
/// never ages, with no room, so the scheduler neither loses nor places anything there).
/// </summary>
public static class RouterBenchmark
{
    public sealed record Row(string What, int Connections, WrkResult Result);

    private const string AppName = "bench";
    private const string Host = "bench.apps.localhost";
    private static readonly TimeSpan Warmup = TimeSpan.FromSeconds(3);
    private static readonly TimeSpan Duration = TimeSpan.FromSeconds(8);

    public static async Task<List<Row>> RunAsync(int[] connections, int rounds)
    {
        await using var backend = await Nginx.StaticAsync("hello from the backend\n");
        var backendAddress = $"127.0.0.1:{backend.Port}";
        await using var nginx = await Nginx.ProxyAsync(backendAddress);
        await using var rabbit = await TestRabbitMq.CreateAsync();
        var bus = new Dictionary<string, string> { ["Bus:Transport"] = "RabbitMq", ["Bus:RabbitMq:Url"] = rabbit.Url };
        await using var dev = await PlatdProcess.StartAsync(new PlatdOptions { SubnetOctet = 235, Settings = bus });
        await RegisterBackendAsync(dev.Database!.ConnectionString, backendAddress);
        await using var router = await PlatdProcess.StartAsync(new PlatdOptions
        {
            Roles = "router",
            SubnetOctet = 232,
            RabbitMqUrl = rabbit.Url,
            Api = dev, // its route table comes from the --dev platd's API; it has no database of its own
            Settings = new Dictionary<string, string> { ["Router:ResyncSeconds"] = "1" },
        });

        var targets = new List<(string What, string Url, string? Host)>
        {
            ("backend, direct", backend.Url, null),
            ("nginx 1.22 (1 worker)", nginx.Url, Host),
            ("ours: platd --roles router", router.RouterUrl, Host),
            ("ours: platd --dev", dev.RouterUrl, Host),
        };
        foreach (var (what, url, host) in targets) await FirstOkAsync(what, url, host);

        var rows = new List<Row>();
        for (var round = 0; round < rounds; round++)
            foreach (var c in connections)
                foreach (var (what, url, host) in targets)
                {
                    await Wrk.RunAsync(url, host, c, Warmup);
                    rows.Add(new Row(what, c, await Wrk.RunAsync(url, host, c, Duration)));
                }
        return rows;
    }

    /// <summary>An app, its route and one RUNNING instance at the backend, on a cell that never ages and has no room.</summary>
    private static async Task RegisterBackendAsync(string connectionString, string address)
    {
        await using var db = new NpgsqlConnection(connectionString);
        await db.OpenAsync();
        var sql = """
            INSERT INTO cells ("Id", "Host", "MemoryCapacityMb", "DiskCapacityMb", "MaxInstances", "LastHeartbeat")
              VALUES ('bench-backend', '127.0.0.1', 0, 0, 0, now() + interval '10 years');
            INSERT INTO apps ("Id", "Name", "State", "Instances", "MemoryMb", "DiskMb", "Env", "CurrentDropletId", "CreatedAt", "UpdatedAt")
              VALUES (@app, @name, 'STARTED', 1, 64, 64, '{}', @droplet, now(), now());
            INSERT INTO routes ("Id", "AppId", "Host", "Path", "CreatedAt") VALUES (@route, @app, @host, '', now());
            INSERT INTO instances ("Id", "AppId", "Index", "CellId", "DropletId", "MemoryMb", "DiskMb", "State", "Address",
                "HostAddress", "CrashCount", "CreatedAt", "UpdatedAt")
              VALUES (@instance, @app, 0, 'bench-backend', @droplet, 64, 64, 'RUNNING', @address, @address, 0, now(), now());
            """;
        await using var cmd = new NpgsqlCommand(sql, db);
        cmd.Parameters.AddWithValue("app", Guid.NewGuid());
        cmd.Parameters.AddWithValue("name", AppName);
        cmd.Parameters.AddWithValue("droplet", Guid.NewGuid());
        cmd.Parameters.AddWithValue("route", Guid.NewGuid());
        cmd.Parameters.AddWithValue("host", Host);
        cmd.Parameters.AddWithValue("instance", Guid.NewGuid());
        cmd.Parameters.AddWithValue("address", address);
        await cmd.ExecuteNonQueryAsync();
    }

    private static async Task FirstOkAsync(string what, string url, string? host)
    {
        using var http = new HttpClient { BaseAddress = new Uri(url), Timeout = TimeSpan.FromSeconds(5) };
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        HttpStatusCode? last = null;
        while (DateTime.UtcNow < deadline)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "/");
            if (host is not null) request.Headers.Host = host;
            try
            {
                using var response = await http.SendAsync(request);
                if (response.StatusCode == HttpStatusCode.OK) return;
                last = response.StatusCode;
            }
            catch (HttpRequestException) { }
            await Task.Delay(100);
        }
        throw new TimeoutException($"{what} never answered 200 for {host ?? url} (last: {last})");
    }
}
