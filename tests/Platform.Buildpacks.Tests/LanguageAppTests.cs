using System.Text.RegularExpressions;
using Platform.TestSupport;
using Xunit.Abstractions;

namespace Platform.Buildpacks.Tests;

/// <summary>
/// A Node app with a dependency from npm, a Python app with a vendored wheel and a .NET minimal API pushed as a
/// project: each is staged by its buildpack (chosen by detection), runs in the sandbox and answers through the router.
/// </summary>
[Collection(PlatdCollection.Name)]
public sealed partial class LanguageAppTests(PlatdFixture fixture, ITestOutputHelper output)
{
    private PlatdProcess Platd => fixture.Platd;
    private static readonly TimeSpan StartTimeout = TimeSpan.FromMinutes(2);

    private async Task<CommandResult> PushAsync(params string[] args)
    {
        var push = await Platd.PlatAsync(["push", .. args], timeout: TimeSpan.FromMinutes(10));
        output.WriteLine(push.ToString());
        return push;
    }

    [Fact]
    public async Task A_node_app_installs_its_npm_dependency_answers_and_a_restage_reuses_every_layer()
    {
        var push = await PushAsync("node-app", "-p", AppDirs.Node, "-m", "256M");
        Assert.True(push.ExitCode == 0, $"push failed: {push}\nplatd log:\n{Platd.Log}");
        Assert.Contains("Buildpack nodejs", push.Stdout);
        Assert.Contains("npm ci --omit=dev", push.Stdout);
        Assert.Contains("Start command (from buildpack nodejs): npm start", push.Stdout);

        var body = await Router.GetOkAsync(Platd.RouterUrl, "node-app.apps.localhost", StartTimeout);
        Assert.Contains("Hello from Node v18.20.4", body);           // Debian's Node from the nodejs layer
        Assert.Contains("ms(\"2 days\") = 172800000", body);          // the dependency npm installed

        var first = LayerDigests(push.Stdout);
        var blobsBefore = Blobs();

        // A push of the same files and settings changes nothing at all.
        var same = await PushAsync("node-app", "-p", AppDirs.Node, "-m", "256M");
        Assert.True(same.ExitCode == 0, $"second push failed: {same}");
        Assert.Contains("Nothing to change", same.Stdout);

        // Restage with nothing changed: the same package again. node_modules comes from the build cache.
        var again = await Platd.PlatAsync(["restage", "node-app"], timeout: TimeSpan.FromMinutes(10));
        Assert.True(again.ExitCode == 0, $"restage failed: {again}");
        Assert.Contains("Restoring node_modules from the build cache", again.Stdout);
        var second = LayerDigests(again.Stdout);

        // Log lines travel the bus and may arrive out of order: compare as sets.
        first.Sort(StringComparer.Ordinal);
        second.Sort(StringComparer.Ordinal);
        Assert.Equal(15, first.Count); // stack, 13 dependencies, app
        Assert.Equal(first, second);   // every layer, the app's included, has the same digest
        Assert.Equal(blobsBefore, Blobs()); // and nothing new was stored
        Assert.Contains("ms(\"2 days\")", await Router.GetOkAsync(Platd.RouterUrl, "node-app.apps.localhost", StartTimeout));
    }

    [Fact]
    public async Task A_python_app_installs_its_vendored_requirement_and_answers()
    {
        var push = await PushAsync("python-app", "-p", AppDirs.Python, "-m", "256M");
        Assert.True(push.ExitCode == 0, $"push failed: {push}\nplatd log:\n{Platd.Log}");
        Assert.Contains("Buildpack python", push.Stdout);
        Assert.Contains("Installing requirements from vendor/", push.Stdout);
        Assert.Contains("Start command (from Procfile): python3 server.py", push.Stdout);

        var body = await Router.GetOkAsync(Platd.RouterUrl, "python-app.apps.localhost", StartTimeout);
        Assert.Contains("Hello from Python, with a vendored wheel (3.11.2)", body);
    }

    [Fact]
    public async Task A_dotnet_project_is_published_by_the_stager_and_answers_on_the_host_runtime_layer()
    {
        var push = await PushAsync("dotnet-app", "-p", AppDirs.Dotnet, "-m", "256M");
        Assert.True(push.ExitCode == 0, $"push failed: {push}\nplatd log:\n{Platd.Log}");
        Assert.Contains("Buildpack dotnet", push.Stdout);
        Assert.Contains("Publishing hello.csproj", push.Stdout);
        Assert.Contains("Start command (from buildpack dotnet): dotnet hello.dll", push.Stdout);

        var body = await Router.GetOkAsync(Platd.RouterUrl, "dotnet-app.apps.localhost", StartTimeout);
        Assert.Matches(@"Hello from \.NET 10\.0\.\d+", body);
    }

    [Fact]
    public async Task A_procfile_overrides_the_buildpack_start_command_and_c_overrides_both()
    {
        // A Node app without dependencies (nothing to fetch), with a Procfile.
        var dir = AppDirs.Scratch(new Dictionary<string, string>
        {
            ["package.json"] = "{ \"name\": \"procfile\", \"scripts\": { \"start\": \"node server.js\" } }\n",
            ["server.js"] = "require('http').createServer((q, s) => s.end('procfile')).listen(process.env.PORT);\n",
            ["Procfile"] = "web: node server.js\n",
        });
        try
        {
            var procfile = await PushAsync("node-procfile", "-p", dir, "-m", "256M", "--no-start");
            Assert.True(procfile.ExitCode == 0, procfile.ToString());
            Assert.Contains("Start command (from Procfile): node server.js", procfile.Stdout);

            // The same files with -c: a settings change only (no upload, no staging); the next staging uses it.
            var command = await PushAsync("node-procfile", "-p", dir, "-m", "256M", "--no-start", "-c", "node ./server.js");
            Assert.True(command.ExitCode == 0, command.ToString());
            var restage = await Platd.PlatAsync(["restage", "node-procfile"], timeout: TimeSpan.FromMinutes(10));
            Assert.True(restage.ExitCode == 0, restage.ToString());
            Assert.Contains("Start command (from -c): node ./server.js", restage.Stdout);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    /// <summary>The "layer NAME DIGEST" lines the stager prints at the end of a build.</summary>
    private static List<string> LayerDigests(string pushOutput) =>
        LayerLine().Matches(pushOutput).Select(m => $"{m.Groups[1].Value} {m.Groups[2].Value}").ToList();

    [GeneratedRegex(@"\s{7}layer (\S+) (sha256:[0-9a-f]{64})")]
    private static partial Regex LayerLine();

    private SortedSet<string> Blobs() =>
        new(Directory.EnumerateFiles(Path.Combine(Platd.DataDir, "blobs"), "*", SearchOption.AllDirectories), StringComparer.Ordinal);
}
