using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;

namespace Platform.Data;

/// <summary>
/// Brings the database schema up to date. The server calls it once at start, before any role touches the
/// database. EF Core takes a database-wide lock while migrating, so several servers may start at once.
/// </summary>
public sealed class DatabaseMigrator(IDbContextFactory<PlatformDbContext> contexts, ILogger<DatabaseMigrator> logger)
{
    public async Task MigrateAsync(CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var pending = (await db.Database.GetPendingMigrationsAsync(cancellationToken)).ToList();
        if (pending.Count > 0)
            logger.LogInformation("Applying {Count} database migration(s): {Migrations}", pending.Count, string.Join(", ", pending));
        // Called even with nothing pending: EF then also fails loudly when the model has changes that no
        // migration covers, which is better than failing later on a missing column.
        await db.Database.MigrateAsync(cancellationToken);
        logger.LogInformation("Database schema is up to date");
    }
}
