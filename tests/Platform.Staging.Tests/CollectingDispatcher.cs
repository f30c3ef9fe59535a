using System.Collections.Concurrent;
using Platform.Contracts.Messages;

namespace Platform.Staging.Tests;

/// <summary>Records what the stager publishes. The bus itself is tested in Platform.Bus.</summary>
public sealed class CollectingDispatcher : IMessageDispatcher
{
    private readonly ConcurrentQueue<(object Message, string? Queue)> _messages = new();

    public Task DispatchAsync(object message, string? queue, CancellationToken cancellationToken)
    {
        _messages.Enqueue((message, queue));
        return Task.CompletedTask;
    }

    public IReadOnlyList<object> For(Guid buildId) =>
        _messages.Select(m => m.Message)
            .Where(m => m is StagingLog l && l.BuildId == buildId || m is StagingCompleted c && c.BuildId == buildId)
            .ToList();

    public IReadOnlyList<string> LogLines(Guid buildId) =>
        For(buildId).OfType<StagingLog>().Select(l => l.Line).ToList();

    public bool AnyQueued => _messages.Any(m => m.Queue is not null);
}
