using MassTransit;
using Platform.Contracts.Messages;

namespace Platform.Bus;

/// <summary>
/// The outbox's way onto the bus: a command goes to its queue (<c>queue:NAME</c>, e.g. <see cref="Queues.Cell"/>),
/// an event is published to whoever subscribed. Uses the bus itself (a singleton) rather than the scoped
/// send/publish endpoints, because the outbox dispatcher runs outside any consume scope.
/// </summary>
public sealed class MassTransitMessageDispatcher(IBus bus) : IMessageDispatcher
{
    public async Task DispatchAsync(object message, string? queue, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        if (queue is null)
        {
            await bus.Publish(message, message.GetType(), cancellationToken);
            return;
        }
        var endpoint = await bus.GetSendEndpoint(new Uri("queue:" + queue));
        await endpoint.Send(message, message.GetType(), cancellationToken);
    }
}
