using System.Net.Http.Json;
using System.Text.Json;
using Platform.Contracts.Api;
using Platform.TestSupport;
using Xunit.Abstractions;

namespace Platform.Java.Tests;

/// <summary>What happens to Java apps once staged: the JVM running out of heap, and droplets sharing the JRE layer.</summary>
[Collection(JavaCollection.Name)]
public sealed class RuntimeTests(JavaFixture fixture, ITestOutputHelper output)
{
    [Fact]
    public async Task An_app_allocating_past_its_heap_exits_and_the_platform_restarts_it_saying_why()
    {
        var push = await fixture.PushAsync("hog", "-m", "1G", "-p", fixture.App("hog.jar"));
        output.WriteLine(push.ToString());
        Assert.True(push.ExitCode == 0, $"push failed: {push}\nplatd log:\n{fixture.Platd.Log}");
        var before = await fixture.GetOkAsync("hog", "/");
        Assert.Contains("maxMemory=", before);
        using var api = await fixture.Platd.ApiClientAsync();
        var first = (await api.GetFromJsonAsync<AppDetailResponse>(TestSpaces.Default + "/apps/hog"))!.InstanceDetails.Single(i => i.State == "RUNNING");

        Assert.Contains("allocating past the heap", (await fixture.GetAsync("hog", "/allocate")).Body);

        // -XX:+ExitOnOutOfMemoryError ends the JVM (exit code 3) rather than leaving it limping, and the
        // heap's limit is below the container's, so it is the JVM that stops, not the kernel's OOM killer.
        await fixture.WaitUntilAsync(async () =>
        {
            var events = await api.GetFromJsonAsync<List<EventResponse>>(TestSpaces.Default + "/apps/hog/events");
            return events!.Any(e => e.Type == "app.crash");
        }, TimeSpan.FromMinutes(2), "a crash event for hog");
        var crash = (await api.GetFromJsonAsync<List<EventResponse>>(TestSpaces.Default + "/apps/hog/events"))!.First(e => e.Type == "app.crash");
        output.WriteLine(crash.Description);
        Assert.Contains("exit", crash.Description, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("3", crash.Description);

        var events = await fixture.Platd.PlatAsync(["events", "hog"]);
        Assert.Contains("app.crash", events.Stdout);
        await fixture.WaitUntilAsync(async () =>
        {
            var logs = await fixture.Platd.PlatAsync(["logs", "hog", "--recent"]);
            return logs.Stdout.Contains("java.lang.OutOfMemoryError", StringComparison.Ordinal);
        }, TimeSpan.FromMinutes(1), "OutOfMemoryError in hog's logs");

        // Restarted: a new instance serves again.
        await fixture.WaitUntilAsync(async () =>
        {
            var detail = await api.GetFromJsonAsync<AppDetailResponse>(TestSpaces.Default + "/apps/hog");
            return detail!.InstanceDetails.Any(i => i.State == "RUNNING" && i.Id != first.Id);
        }, TimeSpan.FromMinutes(3), "hog to be restarted");
        Assert.Contains("maxMemory=", await fixture.GetOkAsync("hog", "/"));
        await fixture.DeleteAsync("hog");
    }

    [Fact]
    public async Task Two_java_apps_share_one_jre_blob_and_one_unpacked_jre_layer()
    {
        var a = await fixture.PushAsync("share-a", "-m", "1G", "-p", fixture.App("server.jar"));
        Assert.True(a.ExitCode == 0, $"push failed: {a}\nplatd log:\n{fixture.Platd.Log}");
        await fixture.GetOkAsync("share-a", "/");

        var jre = JreLayerDigestHex();
        var blobs = Path.Combine(fixture.Platd.DataDir, "blobs", "sha256");
        var jreBlob = Path.Combine(blobs, jre);
        var jreUnpacked = Path.Combine(fixture.Platd.DataDir, "layers", jre);
        Assert.True(File.Exists(jreBlob), $"no JRE blob {jreBlob}");
        Assert.True(Directory.Exists(jreUnpacked), $"the cell has not unpacked the JRE layer at {jreUnpacked}");
        Assert.True(File.Exists(Path.Combine(jreUnpacked, "layers/jre/usr/lib/jvm/java-17-openjdk-amd64/bin/java")));
        var blobCount = Directory.GetFiles(blobs).Length;
        var blobInode = await InodeAsync(jreBlob);
        var layerInode = await InodeAsync(jreUnpacked);

        // A package no earlier push has made (the JAR unpacked plus a unique file), so that its package and
        // app layer are new blobs and nothing else should be.
        var unique = Directory.CreateTempSubdirectory("share-b-").FullName;
        var unpack = await CommandResult.RunAsync("unzip", ["-q", fixture.App("hog.jar"), "-d", unique]);
        Assert.Equal(0, unpack.ExitCode);
        await File.WriteAllTextAsync(Path.Combine(unique, "build-id.txt"), Guid.NewGuid().ToString());
        var b = await fixture.PushAsync("share-b", "-m", "1G", "-p", unique);
        output.WriteLine(b.ToString());
        Assert.True(b.ExitCode == 0, $"push failed: {b}\nplatd log:\n{fixture.Platd.Log}");
        await fixture.GetOkAsync("share-b", "/");
        Assert.Contains($"Dependency jre 17.", b.Stdout);
        Assert.Contains($"layer sha256:{jre[..12]} at /layers/jre", b.Stdout);

        // Only the second app's package, its app layer and the file contents the platform lacked (resource matching
        // keeps each sent content as a blob: "N of M files sent") are new blobs; the JRE blob is the same file, and
        // the cell unpacked the JRE once (same directory, not recreated).
        var sent = System.Text.RegularExpressions.Regex.Match(b.Stdout, @"(\d+) of \d+ files sent");
        Assert.True(sent.Success, b.Stdout);
        Assert.Equal(blobCount + 2 + int.Parse(sent.Groups[1].Value), Directory.GetFiles(blobs).Length);
        Assert.Equal(blobInode, await InodeAsync(jreBlob));
        Assert.Equal(layerInode, await InodeAsync(jreUnpacked));
        Assert.Single(Directory.GetDirectories(Path.Combine(fixture.Platd.DataDir, "layers")), d => Path.GetFileName(d).StartsWith(jre, StringComparison.Ordinal));
        await fixture.DeleteAsync("share-a");
        await fixture.DeleteAsync("share-b");
    }

    /// <summary>The JRE layer's digest, from the stager's dependency cache record (keyed by the .deb's sha256).</summary>
    private static string JreLayerDigestHex()
    {
        var records = Directory.GetFiles("/var/lib/platform/staging/cache/dependencies", "jre-*.json")
            .Where(f => Path.GetFileName(f).Length == "jre-".Length + 64 + ".json".Length)
            .ToList();
        Assert.Single(records);
        var digest = JsonDocument.Parse(File.ReadAllText(records[0])).RootElement.GetProperty("Digest").GetString()!;
        return digest.Replace("sha256:", "", StringComparison.Ordinal);
    }

    private static async Task<string> InodeAsync(string path)
    {
        var stat = await CommandResult.RunAsync("stat", ["-c", "%i %W", path]);
        Assert.Equal(0, stat.ExitCode);
        return stat.Stdout.Trim();
    }
}
