using Microsoft.EntityFrameworkCore;
using Platform.Data;

namespace Platform.Scheduler;

/// <summary>
/// One transaction-scoped Postgres advisory lock around every read-decide-write of instance rows
/// (convergence passes, state changes, heartbeats), across all scheduler processes: decisions are made
/// on a consistent picture and two schedulers never place the same index twice.
/// The lock is released by the transaction's commit or rollback.
/// </summary>
public static class SchedulerLock
{
    private const long Key = 0x504c_4154_5343_4844; // "PLATSCHD"

    public static async Task AcquireAsync(PlatformDbContext db, CancellationToken cancellationToken)
    {
        if (db.Database.CurrentTransaction is null)
            throw new InvalidOperationException("The scheduler lock is transaction-scoped: begin a transaction first.");
        await db.Database.ExecuteSqlAsync($"SELECT pg_advisory_xact_lock({Key})", cancellationToken);
    }
}
