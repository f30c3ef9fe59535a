using System.Globalization;
using System.Threading.Channels;
using MassTransit;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Platform.Contracts.Messages;

namespace Platform.Router;

/// <summary>
/// One request as the request path hands it over: the fields of its access line, not yet formatted (the text is
/// made by <see cref="AccessLogShipper"/>, off the request path). A struct: queuing it allocates nothing.
/// </summary>
public readonly record struct AccessLogEntry(
    AppRoute Route,
    DateTimeOffset Timestamp,
    string Method,
    string? PathBase,
    string? Path,
    string? Query,
    string Protocol,
    int Status,
    long Bytes,
    TimeSpan Elapsed,
    string RequestId,
    string? Backend)
{
    /// <summary><c>site.apps.localhost - "GET /x?q=1 HTTP/1.1" 200 612 0.004s x_request_id:"..." backend:"10.0.0.2:8080"</c></summary>
    public string Format()
    {
        var line = string.Create(CultureInfo.InvariantCulture,
            $"{Route.Host} - \"{Method} {PathBase}{Path}{Query} {Protocol}\" {Status} {Bytes} {Elapsed.TotalSeconds:0.000}s x_request_id:\"{RequestId}\"");
        return Backend is not null && Uri.TryCreate(Backend, UriKind.Absolute, out var uri)
            ? $"{line} backend:\"{uri.Authority}\""
            : line;
    }
}

/// <summary>
/// Where request handling drops access lines. Never blocks a request: when the shipper falls behind (the bus is
/// slow or down), lines beyond <c>Router:AccessLogQueueCapacity</c> are dropped and counted.
/// </summary>
public sealed class AccessLogQueue(IOptions<RouterOptions> options)
{
    private readonly Channel<AccessLogEntry> _lines = Channel.CreateBounded<AccessLogEntry>(
        new BoundedChannelOptions(Math.Max(1, options.Value.AccessLogQueueCapacity))
        {
            FullMode = BoundedChannelFullMode.DropWrite,
            SingleReader = true,
            // Requests finish on any thread; the shipper's continuation must not run on theirs.
            AllowSynchronousContinuations = false,
        });
    private long _dropped;

    /// <summary>Lines lost so far: the queue was full, or shipping them failed.</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    public void Enqueue(in AccessLogEntry entry)
    {
        if (!_lines.Writer.TryWrite(entry)) Interlocked.Increment(ref _dropped);
    }

    internal void CountDropped(int count) => Interlocked.Add(ref _dropped, count);

    internal ChannelReader<AccessLogEntry> Reader => _lines.Reader;
}

/// <summary>
/// Ships queued access lines to the apps' log streams as <see cref="LogBatch"/> messages (source <c>RTR</c>, one
/// batch per app per round), in the background: the router holds no database credentials, the API stores them.
/// Lines it cannot ship are dropped and counted, and the count is logged now and then.
/// </summary>
public sealed class AccessLogShipper(
    AccessLogQueue queue,
    IBus bus,
    TimeProvider time,
    ILogger<AccessLogShipper> logger) : BackgroundService
{
    public const string Source = "RTR";
    private const int MaxBatch = 2000;
    // Lines gather this long after the first one before a round is shipped: a few messages a second per app under
    // load instead of one per handful of requests (each message costs the bus, the API and the database).
    private static readonly TimeSpan GatherWindow = TimeSpan.FromMilliseconds(250);
    private static readonly TimeSpan DropReportInterval = TimeSpan.FromSeconds(30);

    private long _reportedDrops;
    private long _lastReport;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var batch = new List<AccessLogEntry>(MaxBatch);
        _lastReport = time.GetTimestamp();
        try
        {
            while (await queue.Reader.WaitToReadAsync(stoppingToken))
            {
                await Task.Delay(GatherWindow, time, stoppingToken);
                // Whatever piled up meanwhile (and while the previous round was shipped) goes in this one.
                while (batch.Count < MaxBatch && queue.Reader.TryRead(out var entry)) batch.Add(entry);
                await ShipAsync(batch, stoppingToken);
                batch.Clear();
                ReportDrops();
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        // Lines of the last requests before shutdown, best effort and briefly.
        using var drain = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        while (queue.Reader.TryRead(out var rest)) batch.Add(rest);
        if (batch.Count > 0) await ShipAsync(batch, drain.Token);
        ReportDrops(force: true);
    }

    private async Task ShipAsync(List<AccessLogEntry> batch, CancellationToken cancellationToken)
    {
        foreach (var app in batch.GroupBy(e => e.Route.AppId))
        {
            var entries = app.Select(e => new LogEntry(e.Timestamp, Source, 0, "OUT", e.Format())).ToList();
            try
            {
                await bus.Publish(new LogBatch(app.Key, entries), cancellationToken);
            }
            catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                // Access lines are worth less than keeping the router up: count them and move on.
                queue.CountDropped(entries.Count);
                logger.LogDebug(e, "Shipping {Count} access line(s) of app {AppId} failed", entries.Count, app.Key);
            }
            catch (OperationCanceledException)
            {
                queue.CountDropped(entries.Count);
            }
        }
    }

    private void ReportDrops(bool force = false)
    {
        if (!force && time.GetElapsedTime(_lastReport) < DropReportInterval) return;
        _lastReport = time.GetTimestamp();
        var dropped = queue.Dropped;
        if (dropped == _reportedDrops) return;
        logger.LogWarning("Dropped {Count} access log line(s) since the last report ({Total} in all): the queue was full or the bus failed",
            dropped - _reportedDrops, dropped);
        _reportedDrops = dropped;
    }
}
