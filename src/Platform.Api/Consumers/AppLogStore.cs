using Microsoft.EntityFrameworkCore;
using Platform.Contracts.Messages;
using Platform.Data;
using Platform.Data.Entities;

namespace Platform.Api.Consumers;

/// <summary>How log lines from any source (stager, cells) become an app's stored log lines.</summary>
internal static class AppLogStore
{
    /// <summary>Stores the entries unless the app is gone (deleted while it was staging or running).</summary>
    /// <remarks>At least once: a redelivered message can repeat lines, which harms nothing but the eye.</remarks>
    public static async Task AppendAsync(PlatformDbContext db, Guid appId, IReadOnlyCollection<LogEntry> entries, CancellationToken ct)
    {
        if (entries.Count == 0 || !await db.Apps.AnyAsync(a => a.Id == appId, ct)) return;
        db.LogLines.AddRange(entries.Select(e => new LogLineEntity
        {
            AppId = appId,
            Timestamp = e.Timestamp,
            Source = e.Source,
            SourceIndex = e.SourceIndex,
            Stream = e.Stream,
            Text = e.Text,
        }));
        await db.SaveChangesAsync(ct);
    }
}
