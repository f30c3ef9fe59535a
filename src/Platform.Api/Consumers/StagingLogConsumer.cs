using MassTransit;
using Microsoft.EntityFrameworkCore;
using Platform.Contracts.Messages;
using Platform.Data;
using Platform.Data.Entities;

namespace Platform.Api.Consumers;

/// <summary>Stores a staging output line as the app's log line [STG/0] OUT.</summary>
/// <remarks>At least once: a redelivered message can repeat a line, which harms nothing but the eye.</remarks>
public sealed class StagingLogConsumer(PlatformDbContext db) : IConsumer<StagingLog>
{
    public async Task Consume(ConsumeContext<StagingLog> context)
    {
        var m = context.Message;
        if (!await db.Apps.AnyAsync(a => a.Id == m.AppId, context.CancellationToken))
            return; // the app was deleted while staging
        db.LogLines.Add(new LogLineEntity
        {
            AppId = m.AppId,
            Timestamp = m.Timestamp,
            Source = "STG",
            SourceIndex = 0,
            Stream = "OUT",
            Text = m.Line,
        });
        await db.SaveChangesAsync(context.CancellationToken);
    }
}
