using System.Collections.Concurrent;
using System.Net;

namespace Platform.EndToEnd.Tests;

/// <summary>What a <see cref="LoadLoop"/> saw: 200s by the version in their body, and everything else.</summary>
public sealed record LoadCounts(IReadOnlyDictionary<string, int> OkByVersion, int Failed, IReadOnlyDictionary<string, int> FailuresByKind)
{
    public int Ok => OkByVersion.Values.Sum();

    public int OkFrom(string version) => OkByVersion.GetValueOrDefault(version);

    public override string ToString() =>
        $"ok {Ok} ({string.Join(", ", OkByVersion.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => $"{kv.Key}: {kv.Value}"))}), failed {Failed}"
        + (FailuresByKind.Count == 0 ? "" : $" ({string.Join(", ", FailuresByKind.OrderByDescending(kv => kv.Value).Select(kv => $"{kv.Key}: {kv.Value}"))})");
}

/// <summary>
/// Keeps <c>connections</c> requests in flight through the router, each worker on its own connection, one GET after
/// another, for as long as it runs: what a busy app's clients do while it is deployed. A response counts as ok when it
/// is a 200 whose body is one of the versions the test expects; anything else (another status, a connection refused or
/// cut, a timeout, an unexpected body) is a failure, counted by kind.
/// </summary>
public sealed class LoadLoop : IAsyncDisposable
{
    private readonly HttpClient[] _clients;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task[] _workers;
    private readonly ConcurrentDictionary<string, int> _ok = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, int> _failures = new(StringComparer.Ordinal);
    private readonly HashSet<string> _versions;
    private int _failed;

    private LoadLoop(Uri router, string host, string path, int connections, IEnumerable<string> versions)
    {
        _versions = versions.ToHashSet(StringComparer.Ordinal);
        // One client (one connection pool of one connection) per worker, so there are as many connections to the
        // router as workers, each kept alive across requests as a browser's or a service's would be.
        _clients = Enumerable.Range(0, connections).Select(_ => new HttpClient(new SocketsHttpHandler
        {
            MaxConnectionsPerServer = 1,
            UseProxy = false,
            PooledConnectionIdleTimeout = TimeSpan.FromMinutes(5),
        })
        { BaseAddress = router, Timeout = TimeSpan.FromSeconds(15) }).ToArray();
        _workers = _clients.Select(c => Task.Run(() => WorkAsync(c, host, path))).ToArray();
    }

    public static LoadLoop Start(string routerUrl, string host, string path, int connections, params string[] versions) =>
        new(new Uri(routerUrl), host, path, connections, versions);

    public int Connections => _clients.Length;

    /// <summary>Responses so far (ok and failed), for waiting until the loop is under way.</summary>
    public int Total => _ok.Values.Sum() + Volatile.Read(ref _failed);

    /// <summary>200s from <paramref name="version"/> so far.</summary>
    public int OkFrom(string version) => _ok.GetValueOrDefault(version);

    private async Task WorkAsync(HttpClient http, string host, string path)
    {
        while (!_stop.IsCancellationRequested)
        {
            string? failure;
            try
            {
                using var request = new HttpRequestMessage(HttpMethod.Get, path);
                request.Headers.Host = host;
                using var response = await http.SendAsync(request, _stop.Token);
                var body = (await response.Content.ReadAsStringAsync(_stop.Token)).Trim();
                if (response.StatusCode == HttpStatusCode.OK && _versions.Contains(body))
                {
                    _ok.AddOrUpdate(body, 1, (_, n) => n + 1);
                    continue;
                }
                // Who answered matters (the router's own 404/503 say why; an instance's say something else): its first words.
                failure = response.StatusCode == HttpStatusCode.OK ? $"200 with body '{Shorten(body)}'" : $"{(int)response.StatusCode} '{Shorten(body)}'";
            }
            catch (OperationCanceledException) when (_stop.IsCancellationRequested)
            {
                return; // stopped mid-request: not the app's failure
            }
            catch (TaskCanceledException)
            {
                failure = "timeout";
            }
            catch (HttpRequestException e)
            {
                failure = e.HttpRequestError.ToString();
            }
            Interlocked.Increment(ref _failed);
            _failures.AddOrUpdate(failure, 1, (_, n) => n + 1);
        }
    }

    private static string Shorten(string s) => s.Length <= 40 ? s : s[..40] + "...";

    /// <summary>Stops the workers (a request in flight is abandoned, not counted) and returns the counts.</summary>
    public async Task<LoadCounts> StopAsync()
    {
        await _stop.CancelAsync();
        await Task.WhenAll(_workers);
        return new LoadCounts(new Dictionary<string, int>(_ok), Volatile.Read(ref _failed), new Dictionary<string, int>(_failures));
    }

    public async ValueTask DisposeAsync()
    {
        if (!_stop.IsCancellationRequested) await StopAsync();
        foreach (var c in _clients) c.Dispose();
        _stop.Dispose();
    }
}
