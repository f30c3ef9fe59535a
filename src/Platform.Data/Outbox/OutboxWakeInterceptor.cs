using System.Data.Common;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace Platform.Data.Outbox;

/// <summary>
/// Pokes the <see cref="OutboxSignal"/> after a save that wrote outbox messages and, when the caller runs
/// its own transaction, again after the commit (before it, the dispatcher could not see the rows yet).
/// A context that saved outbox messages still tracks them (Unchanged), which is how this tells.
/// </summary>
public sealed class OutboxWakeInterceptor(OutboxSignal signal) : ISaveChangesInterceptor, IDbTransactionInterceptor
{
    private void NotifyIfOutboxTracked(DbContext? context)
    {
        if (context is not null && context.ChangeTracker.Entries<OutboxMessage>().Any(e => e.State == EntityState.Unchanged))
            signal.Notify();
    }

    public int SavedChanges(SaveChangesCompletedEventData eventData, int result)
    {
        NotifyIfOutboxTracked(eventData.Context);
        return result;
    }

    public ValueTask<int> SavedChangesAsync(SaveChangesCompletedEventData eventData, int result, CancellationToken cancellationToken = default)
    {
        NotifyIfOutboxTracked(eventData.Context);
        return ValueTask.FromResult(result);
    }

    public void TransactionCommitted(DbTransaction transaction, TransactionEndEventData eventData) =>
        NotifyIfOutboxTracked(eventData.Context);

    public Task TransactionCommittedAsync(DbTransaction transaction, TransactionEndEventData eventData, CancellationToken cancellationToken = default)
    {
        NotifyIfOutboxTracked(eventData.Context);
        return Task.CompletedTask;
    }
}
