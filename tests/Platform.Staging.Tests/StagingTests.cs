using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Platform.Sandbox;
using Platform.Sandbox.Layers;
using Platform.TestSupport;
using Platform.Contracts.Messages;
using Xunit.Abstractions;

namespace Platform.Staging.Tests;

/// <summary>
/// Stages real packages end to end: real containers, real apt-get download and dpkg-deb, real layers in a
/// real (directory) blobstore. One class so the buildpacks and caches are shared and builds run one at a time.
/// </summary>
public sealed class StagingTests(StagingFixture fixture, ITestOutputHelper output) : IClassFixture<StagingFixture>
{
    private static TestZip StaticSite() => new TestZip()
        .File("index.html", "<!doctype html><h1>Hello from a static site</h1>\n")
        .File("css/site.css", "h1 { color: teal }\n");

    private async Task<StagingCompleted> StageAsync(StageApp request)
    {
        var clock = Stopwatch.StartNew();
        var completed = await fixture.Stager.StageAsync(request, CancellationToken.None);
        output.WriteLine($"staging took {clock.Elapsed.TotalSeconds:F1} s; succeeded={completed.Succeeded} error={completed.Error}");
        var logs = fixture.Dispatcher.For(request.BuildId).OfType<StagingLog>().ToList();
        foreach (var l in logs) output.WriteLine($"+{(l.Timestamp - logs[0].Timestamp).TotalSeconds,5:F1}s [STG/0] {l.Line}");
        // What the user saw ends with the outcome, after every log line.
        Assert.Same(completed, fixture.Dispatcher.For(request.BuildId)[^1]);
        Assert.False(fixture.Dispatcher.AnyQueued, "the stager only publishes events");
        return completed;
    }

    [Fact]
    public async Task A_static_site_becomes_a_droplet_of_stack_busybox_and_app_layers_and_a_restage_reuses_them()
    {
        var request = await fixture.PackageAsync(StaticSite());
        var first = await StageAsync(request);

        Assert.True(first.Succeeded, first.Error);
        Assert.Equal("staticfile", first.Buildpack);
        var droplet = first.Droplet!;
        Assert.Equal(["stack:bookworm", "dep:busybox", "app"], droplet.Layers.Select(l => l.Name));
        foreach (var layer in droplet.Layers)
        {
            Assert.Matches("^sha256:[0-9a-f]{64}$", layer.Digest);
            Assert.True(await fixture.Blobs.ExistsAsync(layer.Digest, CancellationToken.None), $"{layer.Name} blob missing");
            Assert.Equal(new FileInfo(fixture.Blobs.PathOf(layer.Digest)).Length, layer.Size);
        }
        Assert.Equal("/layers/busybox/bin/busybox httpd -f -v -p $PORT -h /home/vcap/app", droplet.StartCommand);

        var stack = await LayerContents.ReadAsync(fixture.Blobs, droplet.Layers[0].Digest);
        Assert.Contains("usr/bin/bash", stack.Keys);
        Assert.DoesNotContain(stack.Keys, k => k.StartsWith("proc/", StringComparison.Ordinal) || k.StartsWith("dev/", StringComparison.Ordinal));
        var busybox = await LayerContents.ReadAsync(fixture.Blobs, droplet.Layers[1].Digest);
        Assert.Contains("layers/busybox/bin/busybox", busybox.Keys);
        Assert.True(busybox["layers/busybox/bin/busybox"].Mode.HasFlag(UnixFileMode.OtherExecute));
        var app = await LayerContents.ReadAsync(fixture.Blobs, droplet.Layers[2].Digest);
        Assert.Contains("home/vcap/app/index.html", app.Keys);
        Assert.Contains("home/vcap/app/css/site.css", app.Keys);
        Assert.Contains("home/vcap/deps/0/config.yml", app.Keys); // what supply wrote, in the deps dir

        var log = fixture.Dispatcher.LogLines(first.BuildId);
        Assert.Contains(log, l => l.Contains("Buildpack staticfile 1.0.0"));
        Assert.Contains(log, l => l.Contains("Dependency busybox 1:1.35.0"));
        Assert.Contains(log, l => l.Contains("Web server: BusyBox v1.35.0")); // supply ran busybox from its layer

        // A restage of the same package reuses every layer: packing is deterministic and the package keeps its
        // files' times, so even the app layer comes out the same, and the blobstore gains nothing.
        var before = fixture.BlobFiles();
        var second = await StageAsync(request with { BuildId = Guid.NewGuid() });
        Assert.True(second.Succeeded, second.Error);
        Assert.Equal(droplet.Layers.Select(l => l.Digest), second.Droplet!.Layers.Select(l => l.Digest));
        Assert.Equal(before, fixture.BlobFiles());
        Assert.DoesNotContain(fixture.Dispatcher.LogLines(second.BuildId), l => l.Contains("Downloading busybox-static"));
    }

    [Fact]
    public async Task A_site_under_public_is_served_from_public()
    {
        var completed = await StageAsync(await fixture.PackageAsync(new TestZip()
            .File("public/index.html", "<h1>public</h1>")
            .File("secret.txt", "not served")));

        Assert.True(completed.Succeeded, completed.Error);
        Assert.EndsWith("-h /home/vcap/app/public", completed.Droplet!.StartCommand);
    }

    [Fact]
    public async Task The_binary_buildpack_runs_the_command_given_with_c()
    {
        var completed = await StageAsync(await fixture.PackageAsync(
            new TestZip().Executable("server.sh", "#!/bin/sh\nexec busybox httpd -f -p \"$PORT\"\n"),
            buildpack: "binary", command: "./server.sh"));

        Assert.True(completed.Succeeded, completed.Error);
        Assert.Equal("binary", completed.Buildpack);
        Assert.Equal("./server.sh", completed.Droplet!.StartCommand);
        Assert.Equal(["stack:bookworm", "app"], completed.Droplet.Layers.Select(l => l.Name));
        var app = await LayerContents.ReadAsync(fixture.Blobs, completed.Droplet.Layers[1].Digest);
        Assert.True(app["home/vcap/app/server.sh"].Mode.HasFlag(UnixFileMode.UserExecute), "server.sh lost its execute bit");
    }

    [Fact]
    public async Task The_binary_buildpack_takes_the_procfile_web_line()
    {
        var completed = await StageAsync(await fixture.PackageAsync(
            new TestZip().Executable("app", "#!/bin/sh\n").File("Procfile", "web: ./app --port $PORT\n"),
            buildpack: "binary"));

        Assert.True(completed.Succeeded, completed.Error);
        Assert.Equal("./app --port $PORT", completed.Droplet!.StartCommand);
    }

    [Fact]
    public async Task The_binary_buildpack_without_a_command_fails_clearly()
    {
        var request = await fixture.PackageAsync(new TestZip().Executable("app", "#!/bin/sh\n"), buildpack: "binary");
        var before = fixture.BlobFiles();

        var completed = await StageAsync(request);

        Assert.False(completed.Succeeded);
        Assert.Null(completed.Droplet);
        Assert.Contains("no start command", completed.Error);
        Assert.Contains("-c", completed.Error);
        Assert.Contains("Procfile", completed.Error);
        Assert.Contains(fixture.Dispatcher.LogLines(completed.BuildId), l => l.StartsWith("Staging failed: no start command"));
        Assert.Equal(before, fixture.BlobFiles());
    }

    [Fact]
    public async Task An_unknown_buildpack_name_fails_listing_the_known_ones()
    {
        var completed = await StageAsync(await fixture.PackageAsync(StaticSite(), buildpack: "cobol"));

        Assert.False(completed.Succeeded);
        Assert.Contains("unknown buildpack 'cobol'", completed.Error);
        Assert.Contains("staticfile, binary, bad-checksum, failing-supply, late-detect", completed.Error);
    }

    [Fact]
    public async Task An_app_no_buildpack_detects_fails_listing_the_buildpacks_tried()
    {
        var completed = await StageAsync(await fixture.PackageAsync(new TestZip().File("README.txt", "nothing to detect")));

        Assert.False(completed.Succeeded);
        Assert.Null(completed.Buildpack);
        Assert.Contains("no buildpack detected the app; tried: staticfile, binary, bad-checksum, failing-supply, late-detect", completed.Error);
    }

    [Fact]
    public async Task Detection_runs_the_buildpacks_in_order_and_the_first_that_detects_wins()
    {
        // Every buildpack before late-detect declines (all in one detect container); late-detect's forged verdict
        // line for staticfile is not taken for staticfile's. The staging log says who detected the app and why.
        var late = await StageAsync(await fixture.PackageAsync(new TestZip().File("late.txt", "late")));
        Assert.True(late.Succeeded, late.Error);
        Assert.Equal(FixtureBuildpacks.LateDetect, late.Buildpack);
        Assert.Equal("cat late.txt", late.Droplet!.StartCommand);
        Assert.Contains("-----> late-detect detected: late.txt at the root", fixture.Dispatcher.LogLines(late.BuildId));

        // A Staticfile makes staticfile, first in the order, win although late-detect detects too.
        var marked = await StageAsync(await fixture.PackageAsync(StaticSite().File("late.txt", "late").File("Staticfile", "")));
        Assert.True(marked.Succeeded, marked.Error);
        Assert.Equal("staticfile", marked.Buildpack);
        Assert.Contains("-----> staticfile detected: Staticfile", fixture.Dispatcher.LogLines(marked.BuildId));
    }

    [Fact]
    public async Task A_bare_index_html_goes_to_staticfile_only_when_no_other_buildpack_detects_the_app()
    {
        // staticfile is first in the order, but an index.html alone is only its fallback: late-detect detects.
        var both = await StageAsync(await fixture.PackageAsync(StaticSite().File("late.txt", "late")));
        Assert.True(both.Succeeded, both.Error);
        Assert.Equal(FixtureBuildpacks.LateDetect, both.Buildpack);

        // Nothing else detects a site: staticfile takes it, and says why.
        var site = await StageAsync(await fixture.PackageAsync(StaticSite()));
        Assert.True(site.Succeeded, site.Error);
        Assert.Equal("staticfile", site.Buildpack);
        Assert.Contains("-----> staticfile detected: index.html at the app's root; no other buildpack detects the app " +
                        "(tried binary, bad-checksum, failing-supply, late-detect)", fixture.Dispatcher.LogLines(site.BuildId));
    }

    [Fact]
    public async Task A_staticfile_root_names_the_directory_served_and_one_outside_the_app_fails()
    {
        var rooted = await StageAsync(await fixture.PackageAsync(new TestZip()
            .File("Staticfile", "root: dist\n").File("dist/index.html", "<h1>dist</h1>").File("src/main.js", "//")));
        Assert.True(rooted.Succeeded, rooted.Error);
        Assert.EndsWith("-h /home/vcap/app/dist", rooted.Droplet!.StartCommand);

        var outside = await StageAsync(await fixture.PackageAsync(new TestZip().File("Staticfile", "root: ../etc\n").File("index.html", "x")));
        Assert.False(outside.Succeeded);
        Assert.Contains("staticfile: Staticfile's root: ../etc must be a directory inside the app", fixture.Dispatcher.LogLines(outside.BuildId));
    }

    [Fact]
    public async Task Choosing_a_buildpack_with_b_skips_detection_and_says_so()
    {
        var completed = await StageAsync(await fixture.PackageAsync(StaticSite(), buildpack: "staticfile"));
        Assert.True(completed.Succeeded, completed.Error);
        Assert.Contains("-----> staticfile chosen with -b (detection skipped)", fixture.Dispatcher.LogLines(completed.BuildId));
    }

    [Fact]
    public async Task A_failing_supply_fails_the_build_and_its_output_reaches_the_user()
    {
        var completed = await StageAsync(await fixture.PackageAsync(StaticSite(), buildpack: FixtureBuildpacks.FailingSupply));

        Assert.False(completed.Succeeded);
        Assert.Equal(FixtureBuildpacks.FailingSupply, completed.Buildpack);
        Assert.Contains("bin/supply of buildpack failing-supply failed (exited 3)", completed.Error);
        var log = fixture.Dispatcher.LogLines(completed.BuildId);
        Assert.Contains("supply says hello from /tmp/app", log);
        Assert.Contains("supply is unhappy", log);
        Assert.DoesNotContain("finalize must not run", log);
    }

    [Fact]
    public async Task A_dependency_whose_sha256_does_not_match_the_manifest_fails_and_stores_nothing()
    {
        var request = await fixture.PackageAsync(StaticSite(), buildpack: FixtureBuildpacks.BadChecksum);
        var before = fixture.BlobFiles();

        var completed = await StageAsync(request);

        Assert.False(completed.Succeeded);
        Assert.Contains("dependency busybox", completed.Error);
        Assert.Contains($"pins {FixtureBuildpacks.WrongSha256}", completed.Error);
        Assert.Contains("nothing was stored", completed.Error);
        Assert.Equal(before, fixture.BlobFiles());
        var debs = Path.Combine(fixture.CacheDir, "debs");
        Assert.False(File.Exists(Path.Combine(debs, FixtureBuildpacks.WrongSha256 + ".deb")));
        Assert.Empty(Directory.Exists(debs) ? Directory.GetDirectories(debs) : []); // no download left behind
        var dependencies = Path.Combine(fixture.CacheDir, "dependencies");
        Assert.Empty(Directory.Exists(dependencies) ? Directory.GetFileSystemEntries(dependencies, "*" + FixtureBuildpacks.WrongSha256 + "*") : []);
    }

    [Fact]
    public async Task A_package_with_a_parent_directory_entry_is_rejected()
    {
        var completed = await StageAsync(await fixture.PackageAsync(StaticSite().File("../evil", "pwned")));

        Assert.False(completed.Succeeded);
        Assert.Contains("the package was rejected: entry '../evil'", completed.Error);
    }

    [Fact]
    public async Task A_missing_package_fails_clearly()
    {
        var request = await fixture.PackageAsync(StaticSite()) with { PackageDigest = "sha256:" + new string('e', 64) };

        var completed = await StageAsync(request);

        Assert.False(completed.Succeeded);
        Assert.Contains("is not in the blobstore", completed.Error);
    }

    [Fact]
    public async Task The_janitor_removes_leftover_staging_containers_and_work_directories()
    {
        var sandbox = fixture.Services.GetRequiredService<ISandbox>();
        var leftover = await sandbox.StartAsync(new ContainerSpec
        {
            Id = "stg-leftover-janitor-test",
            Layers = [TestEnvironment.StackRootfs],
            Args = ["/bin/sleep", "600"],
        }, (_, _) => { }, CancellationToken.None);
        var workLeftover = Directory.CreateDirectory(Path.Combine(fixture.WorkDir, "0123456789abcdef")).FullName;
        Assert.Contains(leftover.Id, await sandbox.ListAsync(CancellationToken.None));

        await fixture.Services.GetRequiredService<StagingJanitor>().CleanUpAsync(CancellationToken.None);

        Assert.DoesNotContain(leftover.Id, await sandbox.ListAsync(CancellationToken.None));
        Assert.False(Directory.Exists(workLeftover));
        var exit = await leftover.Exited.WaitAsync(TimeSpan.FromMinutes(1));
        Assert.NotEqual(0, exit.ExitCode ?? -1);
    }

    [Fact]
    public async Task The_staged_static_site_serves_its_page_from_the_droplet_layers()
    {
        var completed = await StageAsync(await fixture.PackageAsync(StaticSite()));
        Assert.True(completed.Succeeded, completed.Error);

        // Run the droplet the way the cell does (layers from the blobstore, unpacked by the layer cache, the
        // start command from /home/vcap/app with PORT set) and fetch the page over the container's loopback.
        var cache = fixture.Services.GetRequiredService<LayerCache>();
        var layers = new List<string>();
        foreach (var layer in completed.Droplet!.Layers)
            layers.Add(await cache.GetAsync(layer.Digest, ct => fixture.Blobs.OpenReadAsync(layer.Digest, ct), CancellationToken.None));
        var script =
            $"cd /home/vcap/app && ({completed.Droplet.StartCommand}) & " +
            "for i in $(seq 1 100); do /layers/busybox/bin/busybox wget -q -O - http://127.0.0.1:$PORT/ && exit 0; sleep 0.1; done; exit 1";
        var lines = new List<string>();
        var sandbox = fixture.Services.GetRequiredService<ISandbox>();
        var id = "stg-test-run-droplet";
        try
        {
            var container = await sandbox.StartAsync(new ContainerSpec
            {
                Id = id,
                Layers = layers,
                Args = ["/bin/sh", "-c", script],
                Env = new Dictionary<string, string> { ["PORT"] = "8080", ["HOME"] = "/home/vcap/app" },
                WorkingDir = "/home/vcap/app",
            }, (_, line) => { lock (lines) lines.Add(line); }, CancellationToken.None);
            var exit = await container.Exited.WaitAsync(TimeSpan.FromMinutes(2));
            lock (lines)
            {
                Assert.True(exit.ExitCode == 0, $"{exit}: {string.Join('\n', lines)}");
                Assert.Contains("<!doctype html><h1>Hello from a static site</h1>", lines);
            }
        }
        finally
        {
            await sandbox.DestroyAsync(id, TimeSpan.Zero, CancellationToken.None);
        }
    }
}
