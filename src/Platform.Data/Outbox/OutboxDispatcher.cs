using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Platform.Contracts.Messages;

namespace Platform.Data.Outbox;

/// <summary>
/// Hands outbox messages to the bus in id order and deletes each once the bus took it. Woken by
/// <see cref="OutboxSignal"/> after local saves, and polls otherwise (other processes write too).
/// Rows are claimed with SELECT ... FOR UPDATE SKIP LOCKED inside a transaction, so several dispatchers
/// (in one process or many) never hand out the same row at once; a dispatcher that dies mid-batch releases
/// its locks with its connection and the rows go out again (at least once: consumers are idempotent).
/// A failed message is kept, with its attempt count, error and a doubling back-off.
/// </summary>
public sealed class OutboxDispatcher(
    IDbContextFactory<PlatformDbContext> contexts,
    IMessageDispatcher bus,
    OutboxSignal signal,
    IOptions<OutboxOptions> options,
    TimeProvider time,
    ILogger<OutboxDispatcher> logger,
    IHostApplicationLifetime? lifetime = null) : BackgroundService
{
    private readonly OutboxOptions _options = options.Value;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // Hosted services start in registration order, and this one is registered before the bus: wait until
        // every one has started, so the bus is up and this process's consumers are bound before anything goes out.
        if (lifetime is not null)
        {
            var started = new TaskCompletionSource();
            await using (lifetime.ApplicationStarted.Register(() => started.TrySetResult()))
            await using (stoppingToken.Register(() => started.TrySetCanceled(stoppingToken)))
            {
                try
                {
                    await started.Task;
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }

        while (!stoppingToken.IsCancellationRequested)
        {
            var result = BatchResult.Empty;
            try
            {
                result = await DispatchBatchAsync(stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                // Typically the database is unreachable: nothing was lost, try again at the next poll.
                logger.LogWarning(ex, "Outbox dispatch failed; retrying");
            }

            // A full batch without failure means more may be waiting: go on at once.
            if (result.Dispatched == _options.BatchSize && !result.Failed) continue;
            try
            {
                await signal.WaitAsync(_options.PollInterval, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    public readonly record struct BatchResult(int Dispatched, bool Failed)
    {
        public static BatchResult Empty => new(0, false);
    }

    /// <summary>Claims up to one batch of due messages, hands them to the bus and deletes them, in one transaction.</summary>
    public async Task<BatchResult> DispatchBatchAsync(CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var now = time.GetUtcNow();
        var batch = await db.OutboxMessages
            .FromSql($"""
                SELECT * FROM outbox_messages
                WHERE "NextAttemptAt" IS NULL OR "NextAttemptAt" <= {now}
                ORDER BY "Id"
                LIMIT {_options.BatchSize}
                FOR UPDATE SKIP LOCKED
                """)
            .ToListAsync(cancellationToken);
        OutboxMetrics.Oldest(batch.Count == 0 ? TimeSpan.Zero : now - batch[0].CreatedAt);
        if (batch.Count == 0) return BatchResult.Empty;

        var dispatched = 0;
        var failed = false;
        foreach (var message in batch)
        {
            if (cancellationToken.IsCancellationRequested) break;
            try
            {
                var body = OutboxSerializer.Deserialize(message.MessageType, message.Body);
                await bus.DispatchAsync(body, message.Queue, cancellationToken);
                db.OutboxMessages.Remove(message);
                dispatched++;
                OutboxMetrics.Dispatched(time.GetUtcNow() - message.CreatedAt);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception ex)
            {
                OutboxMetrics.Failed();
                message.Attempts++;
                message.LastError = ex.Message.Length > 2000 ? ex.Message[..2000] : ex.Message;
                message.NextAttemptAt = now + _options.RetryDelay(message.Attempts);
                logger.LogWarning(ex, "Outbox message {Id} ({Type}) failed (attempt {Attempts}); next attempt at {NextAttemptAt}",
                    message.Id, message.MessageType, message.Attempts, message.NextAttemptAt);
                // Stop here: the bus is most likely down for the rest too, and stopping keeps their order.
                failed = true;
                break;
            }
        }

        // Record what went out even when stopping, so it is not sent a second time after a restart.
        await db.SaveChangesAsync(CancellationToken.None);
        await transaction.CommitAsync(CancellationToken.None);
        if (dispatched > 0) logger.LogDebug("Dispatched {Count} outbox message(s)", dispatched);
        return new BatchResult(dispatched, failed);
    }
}
