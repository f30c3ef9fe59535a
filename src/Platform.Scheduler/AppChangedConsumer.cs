using MassTransit;
using Platform.Contracts.Messages;

namespace Platform.Scheduler;

/// <summary>
/// The API publishes <see cref="AppDesiredStateChanged"/> (through its outbox, so after the commit) whenever what
/// a user asked of an app changes: start, stop, scale, restart, delete. Converging at once instead of at the
/// next tick is what makes an instance appear within milliseconds of `plat start`, not up to a tick later.
/// </summary>
public sealed class AppChangedConsumer(ConvergenceTrigger trigger) : IConsumer<AppDesiredStateChanged>
{
    public Task Consume(ConsumeContext<AppDesiredStateChanged> context)
    {
        trigger.Poke();
        return Task.CompletedTask;
    }
}
