using System.Net;
using System.Net.Http.Json;
using Platform.Contracts.Api;
using Platform.TestSupport;

namespace Platform.Survival.Tests;

/// <summary>
/// The platform as two processes, as on real hosts: `platd --roles api,scheduler,stager,router` and a cell agent
/// `platd --roles cell`, over the real RabbitMQ (a virtual host of this run's own) and a shared blob directory.
/// </summary>
public sealed class SplitPlatformFixture : IAsyncLifetime
{
    private TestRabbitMq? _rabbit;
    private PlatdProcess? _control;
    private PlatdProcess? _cell;
    private string _root = "";

    public PlatdProcess Control => _control ?? throw new InvalidOperationException("not started");
    public PlatdProcess Cell => _cell ?? throw new InvalidOperationException("not started");

    public async Task InitializeAsync()
    {
        _rabbit = await TestRabbitMq.CreateAsync();
        _root = Path.Combine("/var/lib/platform/test", "survival-" + Guid.NewGuid().ToString("N")[..8]);
        var blobs = Path.Combine(_root, "blobs");
        Directory.CreateDirectory(blobs);
        _control = await PlatdProcess.StartAsync(new PlatdOptions
        {
            Roles = "api,scheduler,stager,router", SubnetOctet = 252, RabbitMqUrl = _rabbit.Url, BlobDirectory = blobs,
        });
        _cell = await PlatdProcess.StartAsync(new PlatdOptions
        {
            Roles = "cell", SubnetOctet = 253, RabbitMqUrl = _rabbit.Url, BlobDirectory = blobs,
            CellId = "survival-" + Guid.NewGuid().ToString("N")[..8],
        });
    }

    public async Task DisposeAsync()
    {
        if (_cell is not null) await _cell.DisposeAsync();
        if (_control is not null) await _control.DisposeAsync();
        if (_rabbit is not null) await _rabbit.DisposeAsync();
        try { Directory.Delete(_root, recursive: true); }
        catch (IOException) { }
    }

    /// <summary>Both processes' logs, for failure messages.</summary>
    public string Logs => $"control platd:\n{Control.Log}\ncell platd:\n{Cell.Log}";

    public async Task<List<InstanceResponse>> InstancesAsync(HttpClient api, string app) =>
        (await api.GetFromJsonAsync<AppDetailResponse>($"{TestSpaces.Default}/apps/{app}"))!.InstanceDetails.ToList();

    public async Task<List<InstanceResponse>> WaitForRunningAsync(HttpClient api, string app, int count, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(120));
        List<InstanceResponse> running = [];
        while (DateTime.UtcNow < deadline)
        {
            running = (await InstancesAsync(api, app)).Where(i => i.State == "RUNNING").ToList();
            if (running.Count >= count) return running;
            await Task.Delay(250);
        }
        throw new TimeoutException($"{app} did not reach {count} RUNNING instances (has {running.Count})\n{Logs}");
    }

    public async Task<List<EventResponse>> EventsAsync(HttpClient api, string app) =>
        (await api.GetFromJsonAsync<List<EventResponse>>($"{TestSpaces.Default}/apps/{app}/events"))!;

    /// <summary>Every log line of the app, paging through the API (`plat logs --recent` shows the last 500).</summary>
    public async Task<List<LogLineResponse>> AllLogsAsync(HttpClient api, string app)
    {
        var all = new List<LogLineResponse>();
        long after = 0;
        while (true)
        {
            var page = (await api.GetFromJsonAsync<List<LogLineResponse>>($"{TestSpaces.Default}/apps/{app}/logs?after={after}&limit=5000"))!;
            if (page.Count == 0) return all;
            all.AddRange(page);
            after = page[^1].Id;
        }
    }

    public async Task WaitUntilAsync(Func<Task<bool>> condition, TimeSpan timeout, string what)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            if (await condition()) return;
            await Task.Delay(250);
        }
        throw new TimeoutException($"timed out waiting for {what}\n{Logs}");
    }

    public static async Task<(HttpStatusCode Status, string Body)> GetAsync(HttpClient http, string host, string path)
    {
        using var req = new HttpRequestMessage(HttpMethod.Get, path);
        req.Headers.Host = host;
        using var resp = await http.SendAsync(req);
        return (resp.StatusCode, await resp.Content.ReadAsStringAsync());
    }
}

[CollectionDefinition(Name)]
public sealed class SplitPlatformCollection : ICollectionFixture<SplitPlatformFixture>
{
    public const string Name = "split platform";
}
