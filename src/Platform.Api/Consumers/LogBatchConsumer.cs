using MassTransit;
using Microsoft.EntityFrameworkCore;
using Platform.Contracts.Messages;
using Platform.Data;
using Platform.Data.Entities;

namespace Platform.Api.Consumers;

/// <summary>Stores the log lines a cell captured for an app, with the sources the cell gave.</summary>
public sealed class LogBatchConsumer(PlatformDbContext db) : IConsumer<LogBatch>
{
    public async Task Consume(ConsumeContext<LogBatch> context)
    {
        var m = context.Message;
        if (m.Entries.Count == 0 || !await db.Apps.AnyAsync(a => a.Id == m.AppId, context.CancellationToken))
            return;
        db.LogLines.AddRange(m.Entries.Select(e => new LogLineEntity
        {
            AppId = m.AppId,
            Timestamp = e.Timestamp,
            Source = e.Source,
            SourceIndex = e.SourceIndex,
            Stream = e.Stream,
            Text = e.Text,
        }));
        await db.SaveChangesAsync(context.CancellationToken);
    }
}
