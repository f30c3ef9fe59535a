using System.Threading.Channels;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Platform.Data;
using Platform.Data.Entities;

namespace Platform.Router;

/// <summary>One request, as it goes into its app's log stream as <c>[RTR/0]</c>.</summary>
public sealed record AccessLogLine(Guid AppId, DateTimeOffset Timestamp, string Text);

/// <summary>
/// Where request handling drops access lines. Never blocks a request: when the writer falls far behind,
/// lines are dropped (and counted) rather than making requests wait for the database.
/// </summary>
public sealed class AccessLogQueue(IOptions<RouterOptions> options)
{
    private readonly Channel<AccessLogLine> _lines = Channel.CreateBounded<AccessLogLine>(
        new BoundedChannelOptions(Math.Max(1, options.Value.AccessLogQueueCapacity))
        {
            FullMode = BoundedChannelFullMode.DropWrite,
            SingleReader = true,
        });
    private long _dropped;

    public long Dropped => Interlocked.Read(ref _dropped);

    public void Enqueue(AccessLogLine line)
    {
        if (!_lines.Writer.TryWrite(line)) Interlocked.Increment(ref _dropped);
    }

    internal ChannelReader<AccessLogLine> Reader => _lines.Reader;
}

/// <summary>Writes queued access lines to <c>log_lines</c> in batches, in the background.</summary>
public sealed class AccessLogWriter(
    AccessLogQueue queue,
    IDbContextFactory<PlatformDbContext> contexts,
    ILogger<AccessLogWriter> logger) : BackgroundService
{
    public const string Source = "RTR";
    private const int MaxBatch = 500;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var batch = new List<AccessLogLine>(MaxBatch);
        try
        {
            while (await queue.Reader.WaitToReadAsync(stoppingToken))
            {
                // Whatever piled up while the previous batch was written goes in one round trip.
                while (batch.Count < MaxBatch && queue.Reader.TryRead(out var line)) batch.Add(line);
                await WriteAsync(batch, stoppingToken);
                batch.Clear();
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        // Lines of the last requests before shutdown, best effort and briefly.
        using var drain = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        while (queue.Reader.TryRead(out var rest)) batch.Add(rest);
        if (batch.Count > 0) await WriteAsync(batch, drain.Token);
    }

    private async Task WriteAsync(List<AccessLogLine> batch, CancellationToken cancellationToken)
    {
        try
        {
            await using var db = await contexts.CreateDbContextAsync(cancellationToken);
            db.LogLines.AddRange(batch.Select(l => new LogLineEntity
            {
                AppId = l.AppId,
                Timestamp = l.Timestamp,
                Source = Source,
                SourceIndex = 0,
                Stream = "OUT",
                Text = l.Text,
            }));
            await db.SaveChangesAsync(cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            // Access lines are worth less than keeping the router up: log and move on.
            logger.LogWarning(e, "Dropping {Count} access log line(s): writing them failed", batch.Count);
        }
        catch (OperationCanceledException)
        {
            logger.LogWarning("Dropping {Count} access log line(s): shutting down", batch.Count);
        }
    }
}
