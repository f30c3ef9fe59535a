using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Platform.Data;

namespace Platform.Api.Logs;

/// <summary>Deletes each app's log lines beyond the newest Api:MaxLogLinesPerApp.</summary>
public sealed class LogTrimmer(PlatformDbContext db, IOptions<ApiOptions> options)
{
    /// <summary>Returns how many lines were deleted.</summary>
    public async Task<int> TrimAsync(CancellationToken ct)
    {
        var keep = options.Value.MaxLogLinesPerApp;
        var oversized = await db.LogLines.GroupBy(l => l.AppId)
            .Where(g => g.Count() > keep).Select(g => g.Key).ToListAsync(ct);
        var deleted = 0;
        foreach (var appId in oversized)
        {
            // The id of the newest line to drop: everything at or below it goes.
            var cutoff = await db.LogLines.Where(l => l.AppId == appId)
                .OrderByDescending(l => l.Id).Skip(keep).Select(l => l.Id).FirstOrDefaultAsync(ct);
            deleted += await db.LogLines.Where(l => l.AppId == appId && l.Id <= cutoff).ExecuteDeleteAsync(ct);
        }
        return deleted;
    }
}
