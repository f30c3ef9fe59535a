using Microsoft.Extensions.Logging;
using Platform.Contracts.Api;
using Platform.Contracts.Messages;

namespace Platform.Router;

/// <summary>
/// The route table's sources, merged: the last snapshot loaded from the API, and instance state changes heard on the
/// bus since, which are applied at once (so a crash or a new RUNNING instance takes effect without a round trip to the
/// API, and while the API is unreachable). A change counts only when it is newer, by its cell's
/// <see cref="ReportVersion"/>, than what the snapshot says of the instance (the scheduler orders reports the same
/// way): the snapshot wins a tie, so the scheduler's own decisions (STOPPING to drain an instance) are never undone
/// by an older RUNNING report. A change the next snapshot already reflects is forgotten. Not thread-safe: the loader
/// serialises access.
/// </summary>
public sealed class RouteTableState(InstanceAddressChooser addresses, ILogger logger)
{
    private const string Running = "RUNNING";

    private RouteTableSnapshot _snapshot = new([], []);
    private Dictionary<Guid, RouteTableInstance> _snapshotInstances = [];
    private readonly Dictionary<Guid, (InstanceStateChanged Change, long Mark)> _heard = [];
    private long _fetches;

    public bool HasSnapshot { get; private set; }

    /// <summary>Call when a snapshot fetch begins; hand the mark to <see cref="ApplySnapshot"/> with its result.</summary>
    public long BeginFetch() => ++_fetches;

    /// <summary>
    /// A fresh snapshot from the API. Changes heard before its fetch began are dropped unless the snapshot's row is
    /// older (the scheduler has not applied them yet); those heard while it was fetched wait for the next one.
    /// </summary>
    public void ApplySnapshot(RouteTableSnapshot snapshot, long mark)
    {
        _snapshot = snapshot;
        _snapshotInstances = snapshot.Instances.GroupBy(i => i.InstanceId).ToDictionary(g => g.Key, g => g.Last());
        HasSnapshot = true;
        foreach (var (id, (change, heardAt)) in _heard.ToList())
        {
            var row = _snapshotInstances.GetValueOrDefault(id);
            var keep = row is null
                ? heardAt >= mark // unknown to a snapshot taken after it was heard: the row is gone
                : IsNewer(change, row);
            if (!keep) _heard.Remove(id);
        }
        addresses.Refresh();
    }

    /// <summary>
    /// Applies an instance's state change; false when it says nothing new. <paramref name="unknown"/> tells that the
    /// snapshot has no row for it yet (a fresh placement): the caller should load a new snapshot soon.
    /// </summary>
    public bool Apply(InstanceStateChanged change, out bool unknown)
    {
        var row = _snapshotInstances.GetValueOrDefault(change.InstanceId);
        unknown = row is null;
        if (row is not null && !IsNewer(change, row)) return false;
        if (_heard.TryGetValue(change.InstanceId, out var heard) && heard.Change.CellId == change.CellId && heard.Change.Version >= change.Version)
            return false;
        _heard[change.InstanceId] = (change, _fetches);
        return true;
    }

    /// <summary>The table as the snapshot and the changes heard since say it is.</summary>
    public RouteTable Build()
    {
        var backends = new Dictionary<Guid, List<(int Index, Guid Id, Backend Backend)>>();
        void Add(Guid appId, Guid id, int index, string? address)
        {
            if (!IsUsable(id, address)) return;
            if (!backends.TryGetValue(appId, out var list)) backends[appId] = list = [];
            list.Add((index, id, new Backend(id, index, address!)));
        }

        foreach (var row in _snapshotInstances.Values)
        {
            if (_heard.TryGetValue(row.InstanceId, out var heard))
            {
                if (heard.Change.State == InstanceState.Running)
                    Add(row.AppId, row.InstanceId, row.Index, addresses.Choose(heard.Change.Address, heard.Change.HostAddress));
            }
            else if (row.State == Running)
            {
                Add(row.AppId, row.InstanceId, row.Index, addresses.Choose(row.Address, row.HostAddress));
            }
        }
        foreach (var (id, (change, _)) in _heard)
            if (!_snapshotInstances.ContainsKey(id) && change.State == InstanceState.Running)
                Add(change.AppId, id, change.Index, addresses.Choose(change.Address, change.HostAddress));

        return new RouteTable(_snapshot.Routes.Select(r => new AppRoute(
            r.Host,
            r.Path,
            r.AppId,
            r.AppName,
            backends.TryGetValue(r.AppId, out var list)
                ? list.OrderBy(b => b.Index).ThenBy(b => b.Id).Select(b => b.Backend).ToList()
                : [],
            RouteProtocols.Normalize(r.Protocol))));
    }

    private static bool IsNewer(InstanceStateChanged change, RouteTableInstance row) =>
        change.CellId == row.CellId
        && (row.ReportEpoch is not { } epoch || row.ReportSequence is not { } sequence || change.Version > new ReportVersion(epoch, sequence));

    private bool IsUsable(Guid instanceId, string? address)
    {
        if (string.IsNullOrWhiteSpace(address)) return false;
        // An address we cannot turn into a URL would break the whole proxy config; leave that instance out.
        if (!Uri.TryCreate($"http://{address}/", UriKind.Absolute, out var uri) || uri.Port <= 0 || uri.AbsolutePath != "/")
        {
            logger.LogWarning("Instance {InstanceId} has an unusable address '{Address}'; not routing to it", instanceId, address);
            return false;
        }
        return true;
    }
}
