using System.Net;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Primitives;
using Yarp.ReverseProxy.Configuration;
using Yarp.ReverseProxy.Forwarder;
using Yarp.ReverseProxy.Health;
using Yarp.ReverseProxy.LoadBalancing;

namespace Platform.Router;

/// <summary>
/// Feeds YARP from the <see cref="RouteTableLoader"/>: one route per host (+ path) and one cluster per app
/// with a destination per running instance. Each reload publishes a new config and fires the old one's
/// change token, which is how YARP learns to swap.
/// </summary>
public sealed class RouteTableProxyConfigProvider : IProxyConfigProvider, IDisposable
{
    private readonly RouterOptions _options;
    private readonly RouteTableLoader _loader;
    private volatile Snapshot _current;

    public RouteTableProxyConfigProvider(RouteTableLoader loader, IOptions<RouterOptions> options)
    {
        _options = options.Value;
        _loader = loader;
        _current = new Snapshot(Build(loader.Current, _options));
        loader.Reloaded += Update;
    }

    public IProxyConfig GetConfig() => _current;

    public void Update(RouteTable table)
    {
        var previous = _current;
        _current = new Snapshot(Build(table, _options));
        previous.SignalChange();
    }

    /// <summary>
    /// Cluster id of an app spoken to in <paramref name="protocol"/>: its id (plus "-h2" for HTTP/2), so instances of
    /// one app share a cluster whatever their routes, and the routes that speak HTTP/2 to it share another.
    /// </summary>
    public static string ClusterId(Guid appId, string protocol = RouteProtocols.Http1) =>
        protocol == RouteProtocols.Http2 ? appId.ToString("N") + "-h2" : appId.ToString("N");

    public static (IReadOnlyList<RouteConfig> Routes, IReadOnlyList<ClusterConfig> Clusters) Build(
        RouteTable table, RouterOptions options)
    {
        // Apps with no running instance get no YARP route: the route gate answers 503 for them.
        var routed = table.Routes.Where(r => r.Backends.Count > 0).ToList();
        var routes = routed.Select(r => new RouteConfig
        {
            RouteId = r.Host + (r.Path.Length == 0 ? "/" : r.Path),
            ClusterId = ClusterId(r.AppId, r.Protocol),
            // Longer paths first, so /api wins over the whole host.
            Order = -r.Path.Length,
            Match = new RouteMatch
            {
                Hosts = [r.Host],
                Path = r.Path.Length == 0 ? "/{**rest}" : r.Path + "/{**rest}",
            },
        }).ToList();

        var clusters = routed
            .GroupBy(r => (r.AppId, r.Protocol))
            .Select(g => new ClusterConfig
            {
                ClusterId = ClusterId(g.Key.AppId, g.Key.Protocol),
                HttpRequest = g.Key.Protocol == RouteProtocols.Http2
                    // h2c with prior knowledge: the app said it speaks HTTP/2 (gRPC needs it end to end).
                    ? new ForwarderRequestConfig { Version = HttpVersion.Version20, VersionPolicy = HttpVersionPolicy.RequestVersionExact }
                    : new ForwarderRequestConfig { Version = HttpVersion.Version11, VersionPolicy = HttpVersionPolicy.RequestVersionOrLower },
                LoadBalancingPolicy = LoadBalancingPolicies.RoundRobin,
                Destinations = g.First().Backends.ToDictionary(
                    b => b.InstanceId.ToString("N"),
                    b => new DestinationConfig { Address = $"http://{b.Address}/" }),
                HealthCheck = new HealthCheckConfig
                {
                    Passive = new PassiveHealthCheckConfig
                    {
                        Enabled = true,
                        Policy = EvictOnFailurePassiveHealthPolicy.PolicyName,
                        ReactivationPeriod = TimeSpan.FromSeconds(Math.Max(1, options.PassiveHealthReactivationSeconds)),
                    },
                    // When every instance has failed, keep trying them all (and answer 502 when they fail)
                    // rather than refusing outright.
                    AvailableDestinationsPolicy = HealthCheckConstants.AvailableDestinations.HealthyOrPanic,
                },
                SessionAffinity = options.StickySessions
                    ? new SessionAffinityConfig
                    {
                        Enabled = true,
                        // YARP's default policy, HashCookie: the cookie holds a hash of the destination id, not the id.
                        AffinityKeyName = ".Platform.Affinity",
                        FailurePolicy = "Redistribute",
                    }
                    : null,
            })
            .ToList();
        return (routes, clusters);
    }

    public void Dispose() => _loader.Reloaded -= Update;

    private sealed class Snapshot : IProxyConfig
    {
        private readonly CancellationTokenSource _changed = new();

        public Snapshot((IReadOnlyList<RouteConfig> Routes, IReadOnlyList<ClusterConfig> Clusters) config)
        {
            Routes = config.Routes;
            Clusters = config.Clusters;
            ChangeToken = new CancellationChangeToken(_changed.Token);
        }

        public IReadOnlyList<RouteConfig> Routes { get; }
        public IReadOnlyList<ClusterConfig> Clusters { get; }
        public IChangeToken ChangeToken { get; }

        public void SignalChange() => _changed.Cancel();
    }
}
