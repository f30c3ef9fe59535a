using System.Threading.Channels;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Platform.Contracts.Messages;

namespace Platform.Cell;

/// <summary>
/// Collects the output lines of every instance and publishes them as <see cref="LogBatch"/> messages,
/// a batch per app at most every 200 ms, so a chatty app costs one message per batch, not per line.
/// </summary>
public sealed class LogShipper(IMessageDispatcher dispatcher, TimeProvider time, ILogger<LogShipper> logger) : BackgroundService
{
    private readonly Channel<(Guid AppId, LogEntry Entry)> _lines =
        Channel.CreateBounded<(Guid, LogEntry)>(new BoundedChannelOptions(50_000)
        {
            // A flood from one app must not stall the cell: the oldest lines go first.
            FullMode = BoundedChannelFullMode.DropOldest,
        });

    public void Write(Guid appId, string source, int index, string stream, string text) =>
        _lines.Writer.TryWrite((appId, new LogEntry(time.GetUtcNow(), source, index, stream, text)));

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var batches = new Dictionary<Guid, List<LogEntry>>();
        while (await _lines.Reader.WaitToReadAsync(stoppingToken))
        {
            await Task.Delay(TimeSpan.FromMilliseconds(200), time, stoppingToken);
            while (_lines.Reader.TryRead(out var item))
            {
                if (!batches.TryGetValue(item.AppId, out var list)) batches[item.AppId] = list = [];
                list.Add(item.Entry);
            }
            foreach (var (appId, entries) in batches)
            {
                try
                {
                    await dispatcher.DispatchAsync(new LogBatch(appId, entries.ToArray()), null, stoppingToken);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    logger.LogWarning(e, "could not ship {Count} log lines of app {AppId}", entries.Count, appId);
                }
            }
            batches.Clear();
        }
    }
}
