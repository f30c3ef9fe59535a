namespace Platform.Contracts.Messages;

/// <summary>
/// Hands a message to the bus: sent to <paramref name="queue"/> when given (a command), else published
/// (an event). Implemented by Platform.Bus; used by the outbox so that Data need not know the bus.
/// </summary>
public interface IMessageDispatcher
{
    Task DispatchAsync(object message, string? queue, CancellationToken cancellationToken);
}
