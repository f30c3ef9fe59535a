using MassTransit;
using Platform.Contracts.Messages;
using Platform.Data;

namespace Platform.Api.Consumers;

/// <summary>Stores a staging output line as the app's log line [STG/0] OUT.</summary>
public sealed class StagingLogConsumer(PlatformDbContext db, Logs.IAppLogStream stream) : IConsumer<StagingLog>
{
    public async Task Consume(ConsumeContext<StagingLog> context)
    {
        var m = context.Message;
        await AppLogStore.AppendAsync(db, m.AppId, [new LogEntry(m.Timestamp, "STG", 0, "OUT", m.Line)], context.CancellationToken);
        stream.Appended(m.AppId);
    }
}
