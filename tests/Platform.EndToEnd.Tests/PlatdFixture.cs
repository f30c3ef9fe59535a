using Platform.TestSupport;

namespace Platform.EndToEnd.Tests;

/// <summary>One platd for the end-to-end tests: starting it (and the first staging) is the slow part.</summary>
public sealed class PlatdFixture : IAsyncLifetime
{
    private PlatdProcess? _platd;
    public PlatdProcess Platd => _platd ?? throw new InvalidOperationException("platd not started");

    // Liveness checked every second (default 5): the liveness test sees a failing instance go within seconds.
    public async Task InitializeAsync() => _platd = await PlatdProcess.StartAsync(240,
        new Dictionary<string, string> { ["Cell:LivenessIntervalSeconds"] = "1" });

    public async Task DisposeAsync()
    {
        if (_platd is not null) await _platd.DisposeAsync();
    }
}

[CollectionDefinition(Name)]
public sealed class PlatdCollection : ICollectionFixture<PlatdFixture>
{
    public const string Name = "platd";
}
