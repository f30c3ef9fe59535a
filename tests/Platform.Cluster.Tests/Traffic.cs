using System.Diagnostics;
using System.Net;

namespace Platform.Cluster.Tests;

/// <summary>
/// Requests through the edge router the whole time a test disturbs the cluster: a few loops GET /id of the app, each
/// result kept with when it was made (on a stopwatch), so a test can count what failed and when.
/// </summary>
public sealed class Traffic : IAsyncDisposable
{
    public sealed record Result(TimeSpan At, bool Ok, string Detail);

    private readonly HttpClient _router;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Result> _results = [];
    private readonly Task[] _loops;
    private readonly Stopwatch _clock;

    public Traffic(string routerUrl, Stopwatch clock, int concurrency = 4)
    {
        _clock = clock;
        // A short timeout: a request stuck on a host that vanished counts as failed rather than hanging the test.
        _router = new HttpClient(new SocketsHttpHandler { ConnectTimeout = TimeSpan.FromSeconds(3) })
        {
            BaseAddress = new Uri(routerUrl),
            Timeout = TimeSpan.FromSeconds(10),
        };
        _loops = Enumerable.Range(0, concurrency).Select(_ => Task.Run(LoopAsync)).ToArray();
    }

    private async Task LoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            var at = _clock.Elapsed;
            Result result;
            try
            {
                var (status, body) = await ClusterFixture.RouterGetAsync(_router, "/id");
                result = status == HttpStatusCode.OK && Guid.TryParse(body.Trim(), out _)
                    ? new Result(at, true, body.Trim())
                    : new Result(at, false, $"{(int)status} {body[..Math.Min(body.Length, 80)]}");
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
                result = new Result(at, false, $"{e.GetType().Name}: {e.Message}");
            }
            lock (_results) _results.Add(result);
            try { await Task.Delay(10, _stop.Token); }
            catch (OperationCanceledException) { }
        }
    }

    public async Task<IReadOnlyList<Result>> StopAsync()
    {
        await _stop.CancelAsync();
        await Task.WhenAll(_loops);
        lock (_results) return _results.ToList();
    }

    public async ValueTask DisposeAsync()
    {
        if (!_stop.IsCancellationRequested) await StopAsync();
        _router.Dispose();
        _stop.Dispose();
    }
}
