using Platform.TestSupport;

namespace Platform.Buildpacks.Tests;

/// <summary>
/// One real platd --dev (own database, data dir, bridge 10.237.0.0/16 and iptables chains) for every buildpack
/// test. Its chains have a prefix of their own: staging reaches npm through the egress chain, which another
/// platd on this host (another test run) would otherwise rewrite for its own bridge.
/// </summary>
public sealed class PlatdFixture : IAsyncLifetime
{
    private PlatdProcess? _platd;
    public PlatdProcess Platd => _platd ?? throw new InvalidOperationException("platd not started");

    public async Task InitializeAsync() => _platd = await PlatdProcess.StartAsync(subnetOctet: 237,
        new Dictionary<string, string> { ["Sandbox:Network:ChainPrefix"] = "PLBPT" });

    public async Task DisposeAsync()
    {
        if (_platd is not null) await _platd.DisposeAsync();
    }
}

[CollectionDefinition(Name)]
public sealed class PlatdCollection : ICollectionFixture<PlatdFixture>
{
    public const string Name = "buildpacks-platd";
}
