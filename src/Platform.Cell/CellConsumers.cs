using MassTransit;
using Platform.Contracts.Messages;

namespace Platform.Cell;

public sealed class StartInstanceConsumer(InstanceManager instances) : IConsumer<StartInstance>
{
    public Task Consume(ConsumeContext<StartInstance> context) =>
        instances.StartAsync(context.Message, context.CancellationToken);
}

public sealed class StopInstanceConsumer(InstanceManager instances) : IConsumer<StopInstance>
{
    public Task Consume(ConsumeContext<StopInstance> context) =>
        instances.StopAsync(context.Message, context.CancellationToken);
}
