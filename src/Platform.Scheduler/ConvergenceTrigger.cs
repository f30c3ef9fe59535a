namespace Platform.Scheduler;

/// <summary>Asks the <see cref="ConvergenceLoop"/> for a pass now rather than at its next tick (after a crash, a new cell...).</summary>
public sealed class ConvergenceTrigger
{
    private readonly SemaphoreSlim _pending = new(0, 1);

    public void Poke()
    {
        try
        {
            _pending.Release();
        }
        catch (SemaphoreFullException)
        {
            // A pass is already due.
        }
    }

    public Task<bool> WaitAsync(TimeSpan timeout, CancellationToken cancellationToken) =>
        _pending.WaitAsync(timeout, cancellationToken);
}
