using MassTransit;
using Platform.Contracts.Messages;

namespace Platform.Staging;

/// <summary>Takes <see cref="StageApp"/> off the stage queue and runs the build.</summary>
public sealed class StageAppConsumer(Stager stager) : IConsumer<StageApp>
{
    // The outcome, failure included, is published as StagingCompleted by the stager; only a cancellation
    // (shutdown) escapes, so the message goes back to the queue for another stager.
    public Task Consume(ConsumeContext<StageApp> context) => stager.StageAsync(context.Message, context.CancellationToken);
}
