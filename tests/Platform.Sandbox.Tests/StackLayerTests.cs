using System.Diagnostics;
using Platform.Sandbox.Layers;
using Platform.TestSupport;
using Xunit.Abstractions;

namespace Platform.Sandbox.Tests;

/// <summary>The real stack rootfs (debootstrap minbase, ~200 MB) through LayerPacker and LayerCache.</summary>
public sealed class StackLayerTests(ITestOutputHelper log) : IDisposable
{
    private readonly string _dir = Path.Combine("/var/tmp/platform-stack-layer-tests", Guid.NewGuid().ToString("N")[..12]);

    public void Dispose()
    {
        if (Directory.Exists(_dir)) Directory.Delete(_dir, recursive: true);
    }

    [Fact]
    public async Task The_stack_rootfs_packs_and_unpacks_to_the_same_tree()
    {
        var stack = TestEnvironment.StackRootfs;
        Directory.CreateDirectory(_dir);
        var file = Path.Combine(_dir, "stack.tar.gz");
        var options = new LayerPackOptions { Exclude = ["dev/*", "proc/*", "sys/*", ".complete"] };

        var sw = Stopwatch.StartNew();
        var packed = await LayerPacker.PackToFileAsync(stack, file, options, CancellationToken.None);
        log.WriteLine($"packed {stack} into {packed.Size / 1e6:F1} MB in {sw.Elapsed.TotalSeconds:F1} s ({packed.Digest})");

        sw.Restart();
        var cache = new LayerCache(Path.Combine(_dir, "layers"));
        var dir = await cache.GetAsync(packed.Digest, _ => Task.FromResult<Stream>(File.OpenRead(file)), CancellationToken.None);
        log.WriteLine($"unpacked in {sw.Elapsed.TotalSeconds:F1} s");

        Assert.Equal(Tree(stack, options.Exclude), Tree(dir, []));
        Assert.Equal(0x9EDu, UnixFileTypes.Stat(Path.Combine(dir, "usr/bin/passwd")).Permissions); // setuid kept
        Assert.Equal("usr/bin", new FileInfo(Path.Combine(dir, "bin")).LinkTarget);
        Assert.Empty(Directory.EnumerateFileSystemEntries(Path.Combine(dir, "dev")));

        // Packing the unpacked tree again gives the very same layer.
        var again = await LayerPacker.PackAsync(dir, Stream.Null, options, CancellationToken.None);
        Assert.Equal(packed, again);
    }

    /// <summary>Every path with its type, mode, owner, size and link target, sorted (symlinks are not followed).</summary>
    private static List<string> Tree(string root, IReadOnlyList<string> exclude)
    {
        var result = new List<string>();
        void Walk(string dir)
        {
            foreach (var path in Directory.EnumerateFileSystemEntries(dir))
            {
                var rel = Path.GetRelativePath(root, path);
                if (exclude.Any(p => System.IO.Enumeration.FileSystemName.MatchesSimpleExpression(p, rel))) continue;
                var st = UnixFileTypes.Stat(path);
                var type = UnixFileTypes.Of(path);
                var size = type == "file" ? st.Size : 0;
                var target = type == "symlink" ? new FileInfo(path).LinkTarget : "";
                result.Add($"{rel} {type} {st.Permissions:x} {st.Uid}:{st.Gid} {size} {target}");
                if (type == "dir") Walk(path);
            }
        }
        Walk(root);
        result.Sort(StringComparer.Ordinal);
        return result;
    }
}

[Collection(SandboxCollection.Name)]
public sealed class BenchmarkHelperTests(SandboxFixture fx, ITestOutputHelper log)
{
    [Fact]
    public async Task The_start_benchmark_helper_measures_both_paths_and_cleans_up()
    {
        var timings = await SandboxBenchmark.MeasureStartAsync(fx.Sandbox, [fx.StackLayer], 3, withNetwork: true, CancellationToken.None);
        log.WriteLine($"{timings.Runtime}: bare run {timings.BareRunMedian.TotalMilliseconds:F1} ms, StartAsync {timings.SandboxStartMedian.TotalMilliseconds:F1} ms (x{timings.Ratio:F2})");
        Assert.Equal(fx.Sandbox.RuntimeName, timings.Runtime);
        Assert.True(timings.BareRunMedian > TimeSpan.Zero && timings.SandboxStartMedian > TimeSpan.Zero);
        Assert.DoesNotContain(await fx.Sandbox.ListAsync(CancellationToken.None), id => id.StartsWith("bench-"));
        Assert.DoesNotContain("/bench-", await File.ReadAllTextAsync("/proc/self/mountinfo"));
    }
}
