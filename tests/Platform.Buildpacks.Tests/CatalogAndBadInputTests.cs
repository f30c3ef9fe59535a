using System.Text.Json;
using Platform.Contracts.Api;
using Platform.TestSupport;
using Xunit.Abstractions;

namespace Platform.Buildpacks.Tests;

/// <summary>plat buildpacks and plat stacks against a real platd, and staging failures a user can act on.</summary>
[Collection(PlatdCollection.Name)]
public sealed class CatalogAndBadInputTests(PlatdFixture fixture, ITestOutputHelper output)
{
    private PlatdProcess Platd => fixture.Platd;
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <summary>Runs plat until its JSON listing is non-empty: the stager advertises within seconds of starting.</summary>
    private async Task<List<T>> ListAsync<T>(string command)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (true)
        {
            var result = await Platd.PlatAsync([command, "--json"]);
            Assert.True(result.ExitCode == 0, result.ToString());
            var list = JsonSerializer.Deserialize<List<T>>(result.Stdout, Json)!;
            if (list.Count > 0 || DateTime.UtcNow > deadline) return list;
            await Task.Delay(500);
        }
    }

    [Fact]
    public async Task Plat_buildpacks_lists_them_in_detect_order_with_versions_and_stack()
    {
        var buildpacks = await ListAsync<BuildpackResponse>("buildpacks");
        Assert.Equal(["staticfile", "java", "nodejs", "python", "dotnet", "binary"], buildpacks.Select(b => b.Name).ToArray());
        Assert.Equal([1, 2, 3, 4, 5, 6], buildpacks.Select(b => b.Position).ToArray());
        Assert.All(buildpacks, b => Assert.Equal("bookworm", b.Stack));
        Assert.All(buildpacks, b => Assert.Null(b.Error));
        var nodejs = buildpacks.Single(b => b.Name == "nodejs");
        Assert.Equal("1.0.0", nodejs.Version);
        Assert.Contains("nodejs 18.20.4+dfsg-1~deb12u3", nodejs.Dependencies);
        Assert.Contains("npm 10.9.2", nodejs.Dependencies);

        var table = await Platd.PlatAsync(["buildpacks"]);
        output.WriteLine(table.Stdout);
        Assert.Equal(0, table.ExitCode);
        var lines = table.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Matches(@"^position\s+name\s+version\s+stack", lines[0]);
        Assert.Matches(@"^3\s+nodejs\s+1\.0\.0\s+bookworm", lines[3]);
    }

    [Fact]
    public async Task Plat_stacks_lists_bookworm_with_its_layer_digest_once_packed()
    {
        // The stack is packed by the first build on a machine: make sure one ran, then wait for the news.
        var push = await Platd.PlatAsync(["push", "stack-probe", "-p", AppDirs.Python, "-m", "128M", "--no-start"], timeout: TimeSpan.FromMinutes(10));
        Assert.True(push.ExitCode == 0, push.ToString());
        StackResponse? bookworm = null;
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (DateTime.UtcNow < deadline)
        {
            bookworm = (await ListAsync<StackResponse>("stacks")).SingleOrDefault(s => s.Name == "bookworm");
            if (bookworm?.LayerDigest is not null) break;
            await Task.Delay(1000);
        }
        Assert.NotNull(bookworm);
        Assert.Matches("^sha256:[0-9a-f]{64}$", bookworm.LayerDigest);
        Assert.True(bookworm.LayerSize > 1_000_000, $"stack layer of {bookworm.LayerSize} bytes");
        Assert.Contains($"layer stack:bookworm {bookworm.LayerDigest}", push.Stdout); // the digest droplets use

        var table = await Platd.PlatAsync(["stacks"]);
        output.WriteLine(table.Stdout);
        Assert.Matches(@"bookworm\s+Debian bookworm .*sha256:[0-9a-f]{64}", table.Stdout);
    }

    [Fact]
    public async Task Choosing_nodejs_for_a_python_app_fails_saying_there_is_no_package_json()
    {
        var push = await Platd.PlatAsync(["push", "wrong-bp", "-p", AppDirs.Python, "-b", "nodejs", "-m", "128M"], timeout: TimeSpan.FromMinutes(10));
        output.WriteLine(push.ToString());
        Assert.NotEqual(0, push.ExitCode);
        Assert.Contains("nodejs: the app has no package.json, so it is not a Node.js app", push.Stdout + push.Stderr);
        Assert.Contains("bin/supply of buildpack nodejs failed", push.Stderr);
    }

    [Fact]
    public async Task An_app_no_buildpack_detects_fails_naming_every_buildpack_tried()
    {
        var dir = AppDirs.Scratch(new Dictionary<string, string> { ["README.txt"] = "nothing any buildpack knows\n" });
        try
        {
            var push = await Platd.PlatAsync(["push", "undetected", "-p", dir, "-m", "128M"], timeout: TimeSpan.FromMinutes(5));
            output.WriteLine(push.ToString());
            Assert.NotEqual(0, push.ExitCode);
            Assert.Contains("no buildpack detected the app; tried: staticfile, java, nodejs, python, dotnet, binary", push.Stderr);
            Assert.Contains("-b NAME", push.Stderr);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public async Task A_node_app_with_a_broken_package_json_fails_staging_with_the_json_error()
    {
        var dir = AppDirs.Scratch(new Dictionary<string, string>
        {
            ["package.json"] = "{ \"name\": \"broken\", \"dependencies\": { \"ms\": \"2.1.3\", } ",
            ["server.js"] = "require('http').createServer((q, s) => s.end('x')).listen(process.env.PORT);\n",
        });
        try
        {
            var push = await Platd.PlatAsync(["push", "broken-json", "-p", dir, "-m", "128M"], timeout: TimeSpan.FromMinutes(10));
            output.WriteLine(push.ToString());
            Assert.NotEqual(0, push.ExitCode);
            Assert.Contains("Buildpack nodejs", push.Stdout);
            Assert.Contains("nodejs: package.json is not valid JSON", push.Stdout + push.Stderr);
            Assert.Contains("bin/supply of buildpack nodejs failed", push.Stderr);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public async Task A_python_requirement_that_is_not_vendored_fails_with_what_to_do()
    {
        // PyPI is not reachable from this machine: a requirement with no vendor/ wheel cannot be installed.
        var dir = AppDirs.Scratch(new Dictionary<string, string>
        {
            ["requirements.txt"] = "surely-not-a-real-package-platform-test==9.9.9\n",
            ["server.py"] = "print('never runs')\n",
            ["Procfile"] = "web: python3 server.py\n",
        });
        try
        {
            var push = await Platd.PlatAsync(["push", "unvendored", "-p", dir, "-m", "128M"], timeout: TimeSpan.FromMinutes(10));
            output.WriteLine(push.ToString());
            Assert.NotEqual(0, push.ExitCode);
            Assert.Contains("the requirements could not be installed from the package index", push.Stdout + push.Stderr);
            Assert.Contains("pip download -r requirements.txt -d vendor", push.Stdout + push.Stderr);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
