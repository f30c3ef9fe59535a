using MassTransit;
using Platform.Contracts.Messages;

namespace Platform.Router;

/// <summary>Reloads the route table when an instance changes state or an app's routes change.</summary>
public sealed class RouteChangeConsumer(RouteTableLoader loader) :
    IConsumer<InstanceStateChanged>,
    IConsumer<AppRoutesChanged>
{
    // The message only says "something changed"; the database says what. Reloads are debounced by the loader.
    public Task Consume(ConsumeContext<InstanceStateChanged> context)
    {
        loader.RequestReload();
        return Task.CompletedTask;
    }

    public Task Consume(ConsumeContext<AppRoutesChanged> context)
    {
        loader.RequestReload();
        return Task.CompletedTask;
    }
}
