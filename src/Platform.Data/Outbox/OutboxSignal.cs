namespace Platform.Data.Outbox;

/// <summary>
/// Wakes the local <see cref="OutboxDispatcher"/> as soon as a context of this process has saved outbox
/// messages, so a command leaves within milliseconds instead of at the next poll. Several pokes before the
/// dispatcher looks count as one.
/// </summary>
public sealed class OutboxSignal
{
    private readonly SemaphoreSlim _pending = new(0, 1);

    public void Notify()
    {
        try
        {
            _pending.Release();
        }
        catch (SemaphoreFullException)
        {
            // Already signalled and not yet consumed: one wake-up covers both saves.
        }
    }

    /// <summary>Waits for a poke or the timeout; true when poked.</summary>
    public Task<bool> WaitAsync(TimeSpan timeout, CancellationToken cancellationToken) =>
        _pending.WaitAsync(timeout, cancellationToken);
}
