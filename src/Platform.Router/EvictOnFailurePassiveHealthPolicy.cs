using Microsoft.AspNetCore.Http;
using Yarp.ReverseProxy.Forwarder;
using Yarp.ReverseProxy.Health;
using Yarp.ReverseProxy.Model;

namespace Platform.Router;

/// <summary>
/// Passive health: one failed request takes a destination out of the rotation until the cluster's
/// reactivation period has passed. YARP's built-in TransportFailureRate policy waits for a minimum number
/// of requests and a failure rate first, so a dead instance would keep getting traffic meanwhile.
/// </summary>
public sealed class EvictOnFailurePassiveHealthPolicy(IDestinationHealthUpdater healthUpdater) : IPassiveHealthCheckPolicy
{
    public const string PolicyName = "EvictOnFailure";

    private static readonly TimeSpan DefaultReactivation = TimeSpan.FromSeconds(30);

    public string Name => PolicyName;

    public void RequestProxied(HttpContext context, ClusterState cluster, DestinationState destination)
    {
        var error = context.Features.Get<IForwarderErrorFeature>()?.Error ?? ForwarderError.None;
        if (!IsDestinationFault(error)) return;
        var reactivation = cluster.Model.Config.HealthCheck?.Passive?.ReactivationPeriod ?? DefaultReactivation;
        healthUpdater.SetPassive(cluster, destination, DestinationHealth.Unhealthy, reactivation);
    }

    // Faults of the client (it went away, sent a bad body) say nothing about the instance's health.
    private static bool IsDestinationFault(ForwarderError error) => error is
        ForwarderError.Request or
        ForwarderError.RequestTimedOut or
        ForwarderError.RequestBodyDestination or
        ForwarderError.ResponseBodyDestination or
        ForwarderError.UpgradeRequestDestination or
        ForwarderError.UpgradeResponseDestination;
}
