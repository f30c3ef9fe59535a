namespace Platform.Sandbox.Monitor;

/// <summary>
/// How often a container's watchers (its exit-file poll and its log reader) look again. At rest they poll slowly,
/// which keeps an idle cell cheap; once the container is being stopped, or has exited, they are hurried: woken at
/// once and polling every couple of milliseconds, so a stop, a restart or a crash report doesn't wait out a
/// sleeping poll (up to 100 ms for the exit file and 250 ms more for the log).
/// </summary>
internal sealed class WatchPace
{
    public static readonly TimeSpan Hurried = TimeSpan.FromMilliseconds(2);
    private TaskCompletionSource _wake = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private volatile bool _hurried;

    /// <summary>From now on every wait is short, and the waits under way end now.</summary>
    public void Hurry()
    {
        _hurried = true;
        Wake();
    }

    /// <summary>The waits under way end now; later ones keep their pace.</summary>
    public void Wake() =>
        Interlocked.Exchange(ref _wake, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();

    /// <summary>Waits <paramref name="atRest"/>, or <see cref="Hurried"/> once hurried, or until <see cref="Hurry"/> is called.</summary>
    public async Task WaitAsync(TimeSpan atRest, TimeProvider time, CancellationToken cancellationToken)
    {
        var wake = Volatile.Read(ref _wake).Task;
        if (_hurried)
        {
            await Task.Delay(Hurried, time, cancellationToken);
            return;
        }
        using var done = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var delay = Task.Delay(atRest, time, done.Token);
        await Task.WhenAny(wake, delay);
        await done.CancelAsync(); // the timer of a delay cut short by a wake-up goes now, not when it would have fired
        cancellationToken.ThrowIfCancellationRequested();
    }
}
