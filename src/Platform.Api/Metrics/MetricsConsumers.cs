using MassTransit;
using Platform.Contracts.Messages;

namespace Platform.Api.Metrics;

/// <summary>Feeds <see cref="MetricsHistory"/> from every cell's heartbeat and every router's request report.</summary>
public sealed class MetricsConsumer(MetricsHistory history, TimeProvider time) : IConsumer<CellHeartbeat>, IConsumer<RouterAppStats>
{
    // Samples are stamped with this API's clock when they arrive: cells' and routers' clocks need not agree with it.
    public Task Consume(ConsumeContext<CellHeartbeat> context)
    {
        history.Record(context.Message, time.GetUtcNow());
        return Task.CompletedTask;
    }

    public Task Consume(ConsumeContext<RouterAppStats> context)
    {
        history.Record(context.Message, time.GetUtcNow());
        return Task.CompletedTask;
    }
}
