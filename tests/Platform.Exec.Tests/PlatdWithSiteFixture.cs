using Platform.TestSupport;

namespace Platform.Exec.Tests;

/// <summary>
/// One real `platd --dev` (subnet 10.236/16, volumes under a directory of its own) with the static site pushed with a
/// volume, shared by the exec, metrics and volume tests: starting platd and staging are the slow parts.
/// </summary>
public sealed class PlatdWithSiteFixture : IAsyncLifetime
{
    public const string App = "site";
    public const string VolumeName = "data";
    public const string VolumePath = "/home/vcap/data";

    private PlatdProcess? _platd;
    public PlatdProcess Platd => _platd ?? throw new InvalidOperationException("platd not started");
    public string VolumesRoot { get; } = Path.Combine("/var/lib/platform/test", "exec-volumes-" + Guid.NewGuid().ToString("N")[..8]);
    public CommandResult FirstPush { get; private set; } = null!;

    public static string SiteDir => Path.Combine(TestEnvironment.RepoRoot, "tests", "Platform.EndToEnd.Tests", "apps", "site");

    public async Task InitializeAsync()
    {
        _platd = await PlatdProcess.StartAsync(subnetOctet: 236, new Dictionary<string, string> { ["Cell:VolumesRoot"] = VolumesRoot });
        FirstPush = await Platd.PlatAsync(["push", App, "-p", SiteDir, "-m", "128M", "--volume", $"{VolumeName}:{VolumePath}"]);
        if (FirstPush.ExitCode != 0)
            throw new InvalidOperationException($"push failed: {FirstPush}\nplatd log:\n{Platd.Log}");
    }

    public async Task DisposeAsync()
    {
        if (_platd is not null) await _platd.DisposeAsync();
        if (Directory.Exists(VolumesRoot)) Directory.Delete(VolumesRoot, recursive: true);
    }
}

[CollectionDefinition(Name)]
public sealed class PlatdWithSiteCollection : ICollectionFixture<PlatdWithSiteFixture>
{
    public const string Name = "platd with site";
}
