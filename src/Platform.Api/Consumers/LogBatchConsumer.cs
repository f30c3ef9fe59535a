using MassTransit;
using Platform.Contracts.Messages;
using Platform.Data;

namespace Platform.Api.Consumers;

/// <summary>Stores the log lines a cell captured for an app, with the sources the cell gave.</summary>
public sealed class LogBatchConsumer(PlatformDbContext db, Logs.IAppLogStream stream) : IConsumer<LogBatch>
{
    public async Task Consume(ConsumeContext<LogBatch> context)
    {
        await AppLogStore.AppendAsync(db, context.Message.AppId, context.Message.Entries.ToList(), context.CancellationToken);
        stream.Appended(context.Message.AppId);
    }
}
