using MassTransit;
using Platform.Contracts.Messages;

namespace Platform.Router;

/// <summary>
/// Follows the bus: an instance's state change is applied to the table at once (it carries the instance's addresses
/// and its cell's report version); a change of an app's routes reloads the snapshot from the API.
/// </summary>
public sealed class RouteChangeConsumer(RouteTableLoader loader) :
    IConsumer<InstanceStateChanged>,
    IConsumer<AppDesiredStateChanged>
{
    public Task Consume(ConsumeContext<InstanceStateChanged> context)
    {
        loader.Apply(context.Message);
        return Task.CompletedTask;
    }

    // The message only says "something changed"; the API says what. Reloads are debounced by the loader.
    public Task Consume(ConsumeContext<AppDesiredStateChanged> context)
    {
        loader.RequestReload();
        return Task.CompletedTask;
    }
}
