using MassTransit;
using Platform.Contracts.Messages;
using Platform.Data;

namespace Platform.Api.Consumers;

/// <summary>Stores the log lines a cell captured for an app, with the sources the cell gave.</summary>
public sealed class LogBatchConsumer(PlatformDbContext db) : IConsumer<LogBatch>
{
    public Task Consume(ConsumeContext<LogBatch> context) =>
        AppLogStore.AppendAsync(db, context.Message.AppId, context.Message.Entries.ToList(), context.CancellationToken);
}
