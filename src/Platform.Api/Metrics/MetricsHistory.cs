using Microsoft.Extensions.Options;
using Platform.Contracts.Api;
using Platform.Contracts.Messages;

namespace Platform.Api.Metrics;

/// <summary>
/// The last hour (Api:MetricsHistoryMinutes) of every instance's CPU, memory and disk, from the cells' heartbeats, and
/// of every app's requests from the routers' reports, in memory, at Api:MetricsResolutionSeconds: bounded per instance
/// and per app (a ring of hour/resolution slots), and instances or apps silent for the whole window are dropped. Each
/// API process keeps its own (it hears every heartbeat and report on a queue of its own), from when it started.
/// </summary>
public sealed class MetricsHistory
{
    private sealed class InstanceSeries(Guid appId, int index, int capacity)
    {
        public readonly Guid AppId = appId;
        public readonly int Index = index;
        public readonly Ring<InstanceMetricsPoint> Points = new(capacity);
    }

    private sealed class RouterBucket
    {
        public DateTimeOffset Time;
        public double IntervalSeconds;
        public long Requests;
        public long Errors;
        public double LatencySumMs;
        public long[] Buckets = new long[LatencyBuckets.Count];
    }

    private readonly Dictionary<Guid, InstanceSeries> _instances = new();
    private readonly Dictionary<Guid, Ring<RouterBucket>> _router = new();
    private readonly Dictionary<Guid, long> _versions = new();
    private readonly Lock _lock = new();
    private readonly TimeSpan _window;
    private readonly TimeSpan _resolution;
    private readonly int _capacity;
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public MetricsHistory(IOptions<ApiOptions> options)
    {
        _window = TimeSpan.FromMinutes(Math.Max(1, options.Value.MetricsHistoryMinutes));
        _resolution = TimeSpan.FromSeconds(Math.Max(1, options.Value.MetricsResolutionSeconds));
        _capacity = (int)Math.Ceiling(_window / _resolution) + 1;
    }

    public TimeSpan Window => _window;

    /// <summary>Instances tracked now (bounded by what runs: silent ones leave after the window).</summary>
    public int InstanceCount { get { lock (_lock) return _instances.Count; } }

    /// <summary>Samples of a heartbeat's running instances, at <paramref name="now"/> by this API's clock.</summary>
    public void Record(CellHeartbeat heartbeat, DateTimeOffset now)
    {
        lock (_lock)
        {
            foreach (var report in heartbeat.Instances)
            {
                if (report.State != InstanceState.Running || report.Metrics is not { } m) continue;
                if (!_instances.TryGetValue(report.InstanceId, out var series))
                    _instances[report.InstanceId] = series = new InstanceSeries(report.AppId, report.Index, _capacity);
                var point = new InstanceMetricsPoint(now, m.CpuPercent, m.MemoryBytes, m.MemoryLimitBytes, m.DiskBytes, m.DiskLimitBytes);
                // One sample per resolution slot: a newer one in the same slot replaces it.
                if (series.Points.Last is { } last && Slot(last.Time) == Slot(now)) series.Points.ReplaceLast(point);
                else series.Points.Add(point);
                Bump(report.AppId);
            }
            Prune(now);
            Signal();
        }
    }

    /// <summary>A router's report, added to the slot of <paramref name="now"/> of each app (reports of several routers add up).</summary>
    public void Record(RouterAppStats stats, DateTimeOffset now)
    {
        lock (_lock)
        {
            foreach (var app in stats.Apps)
            {
                if (!_router.TryGetValue(app.AppId, out var ring)) _router[app.AppId] = ring = new Ring<RouterBucket>(_capacity);
                var slot = SlotStart(now);
                if (ring.Last is not { } bucket || bucket.Time != slot)
                {
                    bucket = new RouterBucket { Time = slot };
                    ring.Add(bucket);
                }
                // Several routers report the same interval: its length is theirs, not their sum.
                bucket.IntervalSeconds = Math.Max(bucket.IntervalSeconds, Math.Max(stats.Interval.TotalSeconds, _resolution.TotalSeconds));
                bucket.Requests += app.Requests;
                bucket.Errors += app.Errors5xx;
                bucket.LatencySumMs += app.LatencySumMs;
                for (var i = 0; i < Math.Min(bucket.Buckets.Length, app.LatencyBuckets.Count); i++) bucket.Buckets[i] += app.LatencyBuckets[i];
                Bump(app.AppId);
            }
            Prune(now);
            Signal();
        }
    }

    /// <summary>The app's history since <paramref name="since"/> (at most the window), oldest first.</summary>
    public AppMetricsResponse Read(Guid appId, DateTimeOffset since, DateTimeOffset now)
    {
        var from = since < now - _window ? now - _window : since;
        lock (_lock)
        {
            var instances = _instances
                .Where(kv => kv.Value.AppId == appId)
                .Select(kv => new InstanceMetricsSeries(kv.Key, kv.Value.Index, kv.Value.Points.Where(p => p.Time > from).ToList()))
                .Where(s => s.Points.Count > 0)
                .OrderBy(s => s.Index).ThenBy(s => s.Points[0].Time).ToList();
            var router = _router.TryGetValue(appId, out var ring)
                ? ring.Where(b => b.Time > from).Select(b => new RouterMetricsPoint(b.Time, b.IntervalSeconds, b.Requests, b.Errors,
                    b.Requests > 0 ? Math.Round(b.LatencySumMs / b.Requests, 2) : null, LatencyBuckets.Quantile(b.Buckets, 0.95))).ToList()
                : [];
            return new AppMetricsResponse(appId, from, instances, router);
        }
    }

    /// <summary>A number that grows whenever the app gets a sample, for the metrics stream.</summary>
    public long Version(Guid appId)
    {
        lock (_lock) return _versions.GetValueOrDefault(appId);
    }

    /// <summary>Returns when any app got a sample, or when <paramref name="ct"/> ends.</summary>
    public Task ChangedAsync(CancellationToken ct)
    {
        lock (_lock) return _changed.Task.WaitAsync(ct);
    }

    private void Bump(Guid appId) => _versions[appId] = _versions.GetValueOrDefault(appId) + 1;

    private void Signal()
    {
        var changed = _changed;
        _changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        changed.SetResult();
    }

    private long Slot(DateTimeOffset t) => t.UtcTicks / _resolution.Ticks;
    private DateTimeOffset SlotStart(DateTimeOffset t) => new(Slot(t) * _resolution.Ticks, TimeSpan.Zero);

    private void Prune(DateTimeOffset now)
    {
        var cutoff = now - _window;
        foreach (var (id, series) in _instances.ToList())
            if (series.Points.Last is not { } last || last.Time < cutoff)
            {
                _instances.Remove(id);
            }
        foreach (var (id, ring) in _router.ToList())
            if (ring.Last is not { } last || last.Time < cutoff)
            {
                _router.Remove(id);
                if (!_instances.Values.Any(s => s.AppId == id)) _versions.Remove(id);
            }
    }
}

/// <summary>A fixed-size ring: adding past its capacity drops the oldest item.</summary>
internal sealed class Ring<T>(int capacity) : IEnumerable<T>
{
    private readonly T[] _items = new T[capacity];
    private int _start;
    private int _count;

    public int Count => _count;
    public T? Last => _count == 0 ? default : _items[(_start + _count - 1) % _items.Length];

    public void Add(T item)
    {
        if (_count < _items.Length)
        {
            _items[(_start + _count) % _items.Length] = item;
            _count++;
        }
        else
        {
            _items[_start] = item;
            _start = (_start + 1) % _items.Length;
        }
    }

    public void ReplaceLast(T item)
    {
        if (_count == 0) Add(item);
        else _items[(_start + _count - 1) % _items.Length] = item;
    }

    public IEnumerator<T> GetEnumerator()
    {
        for (var i = 0; i < _count; i++) yield return _items[(_start + i) % _items.Length];
    }

    System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
}
