using MassTransit;
using Platform.Contracts.Messages;

namespace Platform.Cell;

public sealed class StartInstanceConsumer(InstanceManager instances) : IConsumer<StartInstance>
{
    public Task Consume(ConsumeContext<StartInstance> context) =>
        instances.StartAsync(context.Message, context.CancellationToken);
}

/// <summary>Starts the stop and returns: the instance drains and stops in the background, then is reported STOPPED.</summary>
public sealed class StopInstanceConsumer(InstanceManager instances) : IConsumer<StopInstance>
{
    public async Task Consume(ConsumeContext<StopInstance> context) =>
        await instances.BeginStopAsync(context.Message, context.CancellationToken);
}
