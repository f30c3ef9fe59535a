using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using System.Text.Json;
using Platform.TestSupport;
using Xunit.Abstractions;

namespace Platform.Buildpacks.Tests;

/// <summary>
/// A pushed .NET project's build is tenant code (MSBuild runs the project's own targets), so it is published inside
/// the staging sandbox, not on the stager host. This project's build tries what a hostile build would: the platform's
/// Postgres, RabbitMQ and blobstore (on the host's loopback and on every address of the host), a listener the test
/// opens on every host address, the platform's API, the blob directory and another app's build cache. Every attempt
/// fails and the build log says so; the build (with a NuGet package restored from the feed) still works and the app
/// answers.
/// </summary>
[Collection(PlatdCollection.Name)]
public sealed class DotnetBuildIsolationTests(PlatdFixture fixture, ITestOutputHelper output)
{
    private PlatdProcess Platd => fixture.Platd;

    private const string ProbeScript = """
        #!/bin/bash
        # Run by this project's MSBuild target during dotnet publish: what a hostile build would try.
        while read -r what target; do
          case $target in
            tcp:*)
              hostport=${target#tcp:}
              if error=$(timeout 5 bash -c "exec 3<>/dev/tcp/${hostport%:*}/${hostport##*:}" 2>&1); then
                echo "PROBE $what $hostport: REACHED"
              else
                code=$?
                [ "$code" -eq 124 ] && error="timed out"
                echo "PROBE $what $hostport: blocked (${error##*: })"
              fi ;;
            write:*)
              dir=${target#write:}
              if error=$( { echo pwned >"$dir/pwned-by-a-build"; } 2>&1 ); then
                echo "PROBE $what $dir: REACHED"
              else
                echo "PROBE $what $dir: blocked (${error##*: })"
              fi ;;
          esac
        done < probe-targets.txt
        """;

    private const string Project = """
        <Project Sdk="Microsoft.NET.Sdk.Web">
          <PropertyGroup>
            <TargetFramework>net10.0</TargetFramework>
            <ImplicitUsings>enable</ImplicitUsings>
          </PropertyGroup>
          <ItemGroup>
            <PackageReference Include="Humanizer.Core" Version="2.14.1" />
          </ItemGroup>
          <!-- Tenant code that runs at build time: it tries to reach the platform (see probe.sh). -->
          <Target Name="ProbeThePlatform" BeforeTargets="Build">
            <Exec Command="bash probe.sh" StandardOutputImportance="High" />
          </Target>
        </Project>
        """;

    private const string Program = """
        using Humanizer;
        var app = WebApplication.CreateBuilder(args).Build();
        app.MapGet("/", () => $"Built inside the sandbox; Humanizer says {TimeSpan.FromDays(2).Humanize()}\n");
        app.Run();
        """;

    [Fact]
    public async Task A_build_that_tries_to_reach_the_platform_fails_at_each_attempt_and_still_builds()
    {
        // Another app, whose build cache this build will try to write.
        var victimDir = AppDirs.Scratch(new Dictionary<string, string> { ["index.html"] = "<h1>victim</h1>" });
        using var listener = new TcpListener(IPAddress.Any, 0);
        var accepted = 0;
        try
        {
            var victim = await Platd.PlatAsync(["push", "probe-victim", "-p", victimDir, "-m", "128M", "--no-start"], timeout: TimeSpan.FromMinutes(5));
            Assert.True(victim.ExitCode == 0, victim.ToString());
            var victimId = JsonDocument.Parse((await Platd.PlatAsync(["app", "probe-victim", "--json"])).Stdout).RootElement.GetProperty("app").GetProperty("id").GetString();
            var victimCache = Path.Combine("/var/lib/platform/staging/cache/apps", Guid.Parse(victimId!).ToString("N"));
            Assert.True(Directory.Exists(victimCache), $"{victimCache} should exist after the victim's build");
            var victimFiles = Directory.GetFileSystemEntries(victimCache, "*", SearchOption.AllDirectories).Order().ToList();

            // A stand-in for a platform service bound to every address of the host: reachable from the host itself.
            listener.Start();
            var port = ((IPEndPoint)listener.LocalEndpoint).Port;
            _ = Task.Run(async () =>
            {
                try
                {
                    while (true)
                    {
                        using var client = await listener.AcceptTcpClientAsync();
                        Interlocked.Increment(ref accepted);
                    }
                }
                catch (Exception e) when (e is SocketException or ObjectDisposedException) { /* stopped */ }
            });
            var apiPort = new Uri(Platd.ApiUrl).Port;
            var targets = new List<(string What, string Target)>
            {
                ("postgres", "tcp:127.0.0.1:5433"), ("rabbitmq", "tcp:127.0.0.1:5672"), ("blobstore-s3", "tcp:127.0.0.1:4568"),
                ("platform-api", $"tcp:127.0.0.1:{apiPort}"),
            };
            var hostAddresses = NetworkInterface.GetAllNetworkInterfaces()
                .SelectMany(i => i.GetIPProperties().UnicastAddresses)
                .Select(a => a.Address)
                .Where(a => a.AddressFamily == AddressFamily.InterNetwork && !IPAddress.IsLoopback(a))
                .Distinct().ToList();
            Assert.NotEmpty(hostAddresses);
            foreach (var address in hostAddresses)
                targets.AddRange([
                    ("postgres", $"tcp:{address}:5433"), ("rabbitmq", $"tcp:{address}:5672"), ("blobstore-s3", $"tcp:{address}:4568"),
                    ("host-listener", $"tcp:{address}:{port}"),
                ]);
            var blobs = Path.Combine(Platd.DataDir, "blobs");
            targets.AddRange([
                ("blob-directory", "write:" + blobs), ("blob-directory", "write:" + Path.Combine(blobs, "sha256")),
                ("other-app-cache", "write:" + victimCache),
                ("build-caches", "write:/var/lib/platform/staging/cache/apps"),
            ]);

            // Non-vacuous: from the host, each of these is there to be reached.
            foreach (var (what, target) in targets.Where(t => t.Target.StartsWith("tcp:127.0.0.1:", StringComparison.Ordinal) || t.What == "host-listener"))
            {
                var hostPort = target["tcp:".Length..];
                using var probe = new TcpClient();
                await probe.ConnectAsync(IPAddress.Parse(hostPort[..hostPort.LastIndexOf(':')]), int.Parse(hostPort[(hostPort.LastIndexOf(':') + 1)..]));
                output.WriteLine($"from the host, {what} {hostPort} answers");
            }
            Assert.True(Directory.Exists(Path.Combine(blobs, "sha256")), "the blob directory exists on the host");
            var hostAccepted = hostAddresses.Count;
            for (var i = 0; i < 100 && Volatile.Read(ref accepted) < hostAccepted; i++) await Task.Delay(50); // the accepts of the host's own probes
            Assert.Equal(hostAccepted, Volatile.Read(ref accepted));

            var dir = AppDirs.Scratch(new Dictionary<string, string>
            {
                ["probe.csproj"] = Project,
                ["Program.cs"] = Program,
                ["Directory.Build.props"] = "<Project />\n",
                ["probe.sh"] = ProbeScript.Replace("\r", ""),
                ["probe-targets.txt"] = string.Concat(targets.Select(t => $"{t.What} {t.Target}\n")),
            });
            try
            {
                var push = await Platd.PlatAsync(["push", "dotnet-probe", "-p", dir, "-m", "256M"], timeout: TimeSpan.FromMinutes(10));
                output.WriteLine(push.ToString());
                Assert.True(push.ExitCode == 0, $"push failed: {push}\nplatd log:\n{Platd.Log}");
                Assert.Contains("Publishing probe.csproj with the .NET SDK 10.0.401", push.Stdout);
                foreach (var (what, target) in targets)
                {
                    var shown = target[(target.IndexOf(':') + 1)..];
                    Assert.Contains($"PROBE {what} {shown}: blocked (", push.Stdout);
                }
                Assert.DoesNotContain("REACHED", push.Stdout);
                Assert.Equal(hostAccepted, Volatile.Read(ref accepted)); // nothing from the build reached the host's listener

                Assert.Equal(victimFiles, Directory.GetFileSystemEntries(victimCache, "*", SearchOption.AllDirectories).Order().ToList());
                Assert.Empty(Directory.GetFiles(blobs, "pwned-by-a-build", SearchOption.AllDirectories));

                var body = await Router.GetOkAsync(Platd.RouterUrl, "dotnet-probe.apps.localhost", TimeSpan.FromMinutes(2));
                Assert.Equal("Built inside the sandbox; Humanizer says 2 days\n", body);
            }
            finally
            {
                Directory.Delete(dir, recursive: true);
            }
        }
        finally
        {
            listener.Stop();
            Directory.Delete(victimDir, recursive: true);
        }
    }
}
