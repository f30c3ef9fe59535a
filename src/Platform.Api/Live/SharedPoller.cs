using System.Runtime.CompilerServices;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Platform.Api.Live;

/// <summary>
/// Watches a value (a space's apps, one app with its instances, the cells) by reading it from the database every
/// interval while, and only while, someone watches it: one read per key per interval however many pages watch, and
/// watchers hear only when it changed (by <c>fingerprint</c>). A watcher that falls behind skips to the newest value,
/// which is all a snapshot stream needs.
/// </summary>
/// <remarks>
/// Why poll the database rather than follow the bus: the database is the one source of truth and the scheduler writes
/// instance rows after the cells' messages arrive (a consumer of the same messages would read the rows before they
/// change); heartbeat metrics change rows without a message of their own; and every API process would need every
/// message anyway. The cost is bounded by what is watched, not by how many watch.
/// </remarks>
public sealed class SharedPoller<TKey, TValue>(
    Func<IServiceProvider, TKey, CancellationToken, Task<TValue>> read,
    Func<TValue, string> fingerprint,
    TimeSpan interval,
    IServiceScopeFactory scopes,
    TimeProvider time,
    ILogger logger,
    CancellationToken shutdown) where TKey : notnull
{
    private sealed class Entry
    {
        public int Watchers;
        public long Version;
        public TValue? Latest;
        public string? Fingerprint;
        public TaskCompletionSource Changed = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public required CancellationTokenSource Stop;
        /// <summary>When the last watcher left (null while watched).</summary>
        public long? IdleSince;
    }

    /// <summary>
    /// How long a value stays read after its last watcher left: a page reload or a step back to the list reconnects
    /// within it and gets the current value at once, not after a fresh read.
    /// </summary>
    private TimeSpan Linger => interval * 10 < TimeSpan.FromSeconds(5) ? TimeSpan.FromSeconds(5) : interval * 10;

    private readonly Dictionary<TKey, Entry> _entries = new();
    private readonly Lock _lock = new();

    /// <summary>Keys read right now, watched or lingering (for tests and diagnostics).</summary>
    public int Watched { get { lock (_lock) return _entries.Count; } }

    /// <summary>The value now, then each time it changes, until <paramref name="ct"/> ends.</summary>
    public async IAsyncEnumerable<TValue> WatchAsync(TKey key, [EnumeratorCancellation] CancellationToken ct)
    {
        Entry entry;
        lock (_lock)
        {
            if (!_entries.TryGetValue(key, out entry!))
            {
                entry = new Entry { Stop = CancellationTokenSource.CreateLinkedTokenSource(shutdown) };
                _entries[key] = entry;
                _ = RunAsync(key, entry);
            }
            entry.Watchers++;
            entry.IdleSince = null;
        }
        try
        {
            long seen = 0;
            while (!ct.IsCancellationRequested)
            {
                Task changed;
                TValue? value = default;
                var have = false;
                lock (_lock)
                {
                    if (entry.Version > seen)
                    {
                        seen = entry.Version;
                        value = entry.Latest;
                        have = true;
                    }
                    changed = entry.Changed.Task;
                }
                if (have)
                {
                    yield return value!;
                    continue;
                }
                try
                {
                    await changed.WaitAsync(ct);
                }
                catch (OperationCanceledException) when (ct.IsCancellationRequested)
                {
                    yield break;
                }
            }
        }
        finally
        {
            lock (_lock)
            {
                if (--entry.Watchers == 0) entry.IdleSince = time.GetTimestamp();
            }
        }
    }

    private async Task RunAsync(TKey key, Entry entry)
    {
        var stop = entry.Stop.Token;
        try
        {
            using var timer = new PeriodicTimer(interval, time);
            do
            {
                lock (_lock)
                {
                    if (entry.IdleSince is { } idle && time.GetElapsedTime(idle) > Linger)
                    {
                        _entries.Remove(key);
                        return;
                    }
                }
                try
                {
                    await using var scope = scopes.CreateAsyncScope();
                    var value = await read(scope.ServiceProvider, key, stop);
                    var print = fingerprint(value);
                    lock (_lock)
                    {
                        if (print == entry.Fingerprint) continue;
                        entry.Fingerprint = print;
                        entry.Latest = value;
                        entry.Version++;
                        var changed = entry.Changed;
                        entry.Changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                        changed.SetResult();
                    }
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    // The database may be away for a moment: watchers keep the last value and the next tick tries again.
                    logger.LogWarning(e, "Reading {Key} for its live stream failed; trying again", key);
                }
            } while (await timer.WaitForNextTickAsync(stop));
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }
        finally
        {
            entry.Stop.Dispose();
        }
    }
}
