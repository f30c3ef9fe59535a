using System.Threading.Channels;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Platform.Contracts.Messages;
using Platform.Sandbox;

namespace Platform.Cell;

/// <summary>
/// Where an instance's log file has been shipped up to. The shipper commits a cursor only after the batch holding its
/// line was handed to the bus, so a restarted cell resumes the file right after the last line that left.
/// </summary>
public sealed class LogCheckpoint(Action<LogCursor> save)
{
    internal void Commit(LogCursor cursor) => save(cursor);
}

/// <summary>
/// Collects the output lines of every instance and publishes them as <see cref="LogBatch"/> messages,
/// a batch per app at most every 200 ms, so a chatty app costs one message per batch, not per line.
/// Lines read from a container's log file carry a <see cref="LogCheckpoint"/> and cursor, committed once shipped.
/// </summary>
public sealed class LogShipper(IMessageDispatcher dispatcher, TimeProvider time, ILogger<LogShipper> logger) : BackgroundService
{
    private readonly record struct Line(Guid AppId, LogEntry Entry, LogCheckpoint? Checkpoint, LogCursor Cursor);

    private readonly Channel<Line> _lines =
        Channel.CreateBounded<Line>(new BoundedChannelOptions(50_000)
        {
            // A flood from one app must not stall the cell: the oldest lines go first.
            FullMode = BoundedChannelFullMode.DropOldest,
        });

    public void Write(Guid appId, string source, int index, string stream, string text) =>
        _lines.Writer.TryWrite(new Line(appId, new LogEntry(time.GetUtcNow(), source, index, stream, text), null, default));

    /// <summary>A line read from a container's log file: <paramref name="checkpoint"/> gets <paramref name="cursor"/> once it is shipped.</summary>
    public void Write(Guid appId, string source, int index, string stream, string text, LogCheckpoint checkpoint, LogCursor cursor) =>
        _lines.Writer.TryWrite(new Line(appId, new LogEntry(time.GetUtcNow(), source, index, stream, text), checkpoint, cursor));

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            while (await _lines.Reader.WaitToReadAsync(stoppingToken))
            {
                await Task.Delay(TimeSpan.FromMilliseconds(200), time, stoppingToken);
                await ShipPendingAsync(stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Shutting down: what is already read goes out if the bus still takes it within a moment; anything
            // not shipped keeps its cursor uncommitted, so the next cell agent reads it again.
            using var last = new CancellationTokenSource(TimeSpan.FromSeconds(2));
            try { await ShipPendingAsync(last.Token); }
            catch (OperationCanceledException) { }
        }
    }

    private async Task ShipPendingAsync(CancellationToken cancellationToken)
    {
        var batches = new Dictionary<Guid, List<Line>>();
        while (_lines.Reader.TryRead(out var item))
        {
            if (!batches.TryGetValue(item.AppId, out var list)) batches[item.AppId] = list = [];
            list.Add(item);
        }
        foreach (var (appId, lines) in batches)
        {
            try
            {
                await dispatcher.DispatchAsync(new LogBatch(appId, lines.Select(l => l.Entry).ToArray()), null, cancellationToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                logger.LogWarning(e, "could not ship {Count} log lines of app {AppId}", lines.Count, appId);
                continue;
            }
            // Lines of one container are in order within its app's batch: the last cursor is the furthest.
            var furthest = new Dictionary<LogCheckpoint, LogCursor>(ReferenceEqualityComparer.Instance);
            foreach (var line in lines)
                if (line.Checkpoint is { } checkpoint) furthest[checkpoint] = line.Cursor;
            foreach (var (checkpoint, cursor) in furthest)
            {
                try { checkpoint.Commit(cursor); }
                catch (Exception e) { logger.LogWarning(e, "could not save a log cursor of app {AppId}", appId); }
            }
        }
    }
}
