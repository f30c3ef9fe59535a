using System.Formats.Tar;
using System.IO.Compression;
using System.Security.Cryptography;
using Platform.Sandbox.Layers;
using Platform.Sandbox.Rootfs;

namespace Platform.Sandbox.Tests;

public sealed class LayerTests : IDisposable
{
    private readonly string _dir = Path.Combine("/var/tmp/platform-layer-tests", Guid.NewGuid().ToString("N")[..12]);
    private readonly LayerCache _cache;

    public LayerTests()
    {
        Directory.CreateDirectory(_dir);
        _cache = new LayerCache(Path.Combine(_dir, "cache"));
    }

    public void Dispose()
    {
        OverlayRootfs.UnmountAllUnder(_dir);
        Directory.Delete(_dir, recursive: true);
    }

    /// <summary>A gzip'd tar made with the BCL's writer, and its digest.</summary>
    private static (byte[] Bytes, string Digest) Layer(Action<TarWriter> write)
    {
        var ms = new MemoryStream();
        using (var gz = new GZipStream(ms, CompressionLevel.Fastest, leaveOpen: true))
        using (var tar = new TarWriter(gz, TarEntryFormat.Pax, leaveOpen: true))
            write(tar);
        var bytes = ms.ToArray();
        return (bytes, "sha256:" + Convert.ToHexStringLower(SHA256.HashData(bytes)));
    }

    private static void Dir(TarWriter tar, string name, int mode = 0x1ED) =>
        tar.WriteEntry(new PaxTarEntry(TarEntryType.Directory, name) { Mode = (UnixFileMode)mode });

    private static void FileEntry(TarWriter tar, string name, string content, int mode = 0x1A4, int uid = 0, int gid = 0) =>
        tar.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, name)
        {
            Mode = (UnixFileMode)mode, Uid = uid, Gid = gid,
            DataStream = new MemoryStream(System.Text.Encoding.UTF8.GetBytes(content)),
        });

    private static void Link(TarWriter tar, TarEntryType type, string name, string target) =>
        tar.WriteEntry(new PaxTarEntry(type, name) { LinkName = target });

    private Task<string> Unpack((byte[] Bytes, string Digest) layer) =>
        _cache.GetAsync(layer.Digest, _ => Task.FromResult<Stream>(new MemoryStream(layer.Bytes)), CancellationToken.None);

    private void AssertCacheHoldsOnly(params string[] digests)
    {
        var expected = digests.Select(d => d["sha256:".Length..]).Order().ToList();
        Assert.Equal(expected, Directory.EnumerateFileSystemEntries(_cache.Directory).Select(Path.GetFileName).OfType<string>().Order().ToList());
    }

    [Fact]
    public async Task Modes_owners_symlinks_hardlinks_and_devices_are_preserved()
    {
        var layer = Layer(tar =>
        {
            Dir(tar, "./usr/");
            Dir(tar, "usr/bin/");
            FileEntry(tar, "usr/bin/tool", "#!/bin/sh\n", mode: 0x9ED /* 4755 */, uid: 1000, gid: 1001);
            Link(tar, TarEntryType.SymbolicLink, "usr/bin/alias", "tool");
            Link(tar, TarEntryType.HardLink, "usr/bin/tool2", "usr/bin/tool");
            FileEntry(tar, "implicit/parent/file.txt", "x");
            tar.WriteEntry(new PaxTarEntry(TarEntryType.CharacterDevice, "dev/null") { DeviceMajor = 1, DeviceMinor = 3, Mode = (UnixFileMode)0x1B6 });
            tar.WriteEntry(new PaxTarEntry(TarEntryType.Fifo, "run/fifo") { Mode = (UnixFileMode)0x180 });
        });
        var dir = await Unpack(layer);

        Assert.Equal(_cache.PathFor(layer.Digest), dir);
        var tool = UnixFileTypes.Stat(Path.Combine(dir, "usr/bin/tool"));
        Assert.Equal(0x9EDu, tool.Permissions);
        Assert.Equal((1000u, 1001u), (tool.Uid, tool.Gid));
        Assert.Equal(2u, tool.NLink);
        Assert.Equal(tool.Inode, UnixFileTypes.Stat(Path.Combine(dir, "usr/bin/tool2")).Inode);
        Assert.Equal("symlink", UnixFileTypes.Of(Path.Combine(dir, "usr/bin/alias")));
        Assert.Equal("tool", new FileInfo(Path.Combine(dir, "usr/bin/alias")).LinkTarget);
        Assert.Equal("x", await File.ReadAllTextAsync(Path.Combine(dir, "implicit/parent/file.txt")));
        Assert.Equal("char 1:3", UnixFileTypes.Of(Path.Combine(dir, "dev/null")));
        Assert.Equal("fifo", UnixFileTypes.Of(Path.Combine(dir, "run/fifo")));
        Assert.Equal(0x1EDu, UnixFileTypes.Stat(dir).Permissions);
        AssertCacheHoldsOnly(layer.Digest);
    }

    [Fact]
    public async Task Whiteouts_and_opaque_dirs_become_overlay_ones_and_work_in_an_overlay()
    {
        var lower = Layer(tar =>
        {
            FileEntry(tar, "a/x", "x");
            FileEntry(tar, "a/y", "y");
            FileEntry(tar, "b/z", "z");
        });
        var upper = Layer(tar =>
        {
            FileEntry(tar, "a/.wh.x", "");
            Dir(tar, "b/");
            FileEntry(tar, "b/.wh..wh..opq", "");
            FileEntry(tar, "b/new", "new");
        });
        var lowerDir = await Unpack(lower);
        var upperDir = await Unpack(upper);
        Assert.Equal(UnixFileTypes.CharDevice00, UnixFileTypes.Of(Path.Combine(upperDir, "a/x")));
        Assert.False(File.Exists(Path.Combine(upperDir, "a/.wh.x")));
        Assert.Equal("y", UnixFileTypes.Xattr(Path.Combine(upperDir, "b"), "trusted.overlay.opaque"));
        Assert.False(File.Exists(Path.Combine(upperDir, "b/.wh..wh..opq")));

        var merged = Path.Combine(_dir, "merged");
        OverlayRootfs.Mount([lowerDir, upperDir], Path.Combine(_dir, "up"), Path.Combine(_dir, "work"), merged);
        try
        {
            Assert.False(File.Exists(Path.Combine(merged, "a/x")));
            Assert.True(File.Exists(Path.Combine(merged, "a/y")));
            Assert.False(File.Exists(Path.Combine(merged, "b/z")));
            Assert.Equal("new", await File.ReadAllTextAsync(Path.Combine(merged, "b/new")));
        }
        finally { OverlayRootfs.UnmountAllUnder(merged); }
    }

    [Fact]
    public async Task A_digest_mismatch_is_an_error_and_leaves_nothing()
    {
        var layer = Layer(tar => FileEntry(tar, "f", "content"));
        var wrong = "sha256:" + new string('0', 64);
        var error = await Assert.ThrowsAsync<InvalidDataException>(() =>
            _cache.GetAsync(wrong, _ => Task.FromResult<Stream>(new MemoryStream(layer.Bytes)), CancellationToken.None));
        Assert.Contains(layer.Digest, error.Message);
        AssertCacheHoldsOnly();

        var corrupt = (byte[])layer.Bytes.Clone();
        corrupt[^10] ^= 0xff;
        await Assert.ThrowsAnyAsync<Exception>(() =>
            _cache.GetAsync(layer.Digest, _ => Task.FromResult<Stream>(new MemoryStream(corrupt)), CancellationToken.None));
        AssertCacheHoldsOnly();
        await Assert.ThrowsAsync<ArgumentException>(() =>
            _cache.GetAsync("md5:abc", _ => Task.FromResult<Stream>(new MemoryStream()), CancellationToken.None));
    }

    public static TheoryData<string> Escapes => new()
    {
        "dotdot", "nested-dotdot", "absolute", "symlink-dir-escape", "symlink-relative-escape", "hardlink-escape",
    };

    [Theory]
    [MemberData(nameof(Escapes))]
    public async Task Entries_that_would_escape_the_layer_are_rejected_and_leave_nothing(string kind)
    {
        var victim = Path.Combine(_dir, "victim");
        var layer = Layer(tar =>
        {
            FileEntry(tar, "ok", "fine");
            switch (kind)
            {
                case "dotdot": FileEntry(tar, "../x", "evil"); break;
                case "nested-dotdot": FileEntry(tar, "a/../../x", "evil"); break;
                case "absolute": FileEntry(tar, victim, "evil"); break;
                case "symlink-dir-escape":
                    Link(tar, TarEntryType.SymbolicLink, "etc", _dir);
                    FileEntry(tar, "etc/victim", "evil");
                    break;
                case "symlink-relative-escape":
                    Link(tar, TarEntryType.SymbolicLink, "up", "../../..");
                    FileEntry(tar, "up/victim", "evil");
                    break;
                case "hardlink-escape": Link(tar, TarEntryType.HardLink, "h", "../../victim"); break;
            }
        });
        await Assert.ThrowsAsync<InvalidDataException>(() => Unpack(layer));
        AssertCacheHoldsOnly();
        Assert.False(File.Exists(victim));
    }

    [Fact]
    public async Task Concurrent_callers_for_one_digest_share_one_unpack()
    {
        var layer = Layer(tar => { for (var i = 0; i < 200; i++) FileEntry(tar, $"d/f{i}", new string('x', 1000)); });
        var opened = 0;
        var gate = new TaskCompletionSource();
        async Task<Stream> Open(CancellationToken _)
        {
            Interlocked.Increment(ref opened);
            await gate.Task;
            return new MemoryStream(layer.Bytes);
        }
        var callers = Enumerable.Range(0, 8).Select(_ => _cache.GetAsync(layer.Digest, Open, CancellationToken.None)).ToList();
        gate.SetResult();
        var dirs = await Task.WhenAll(callers);
        Assert.Equal(1, opened);
        Assert.Single(dirs.Distinct());
        Assert.Equal(200, Directory.GetFiles(Path.Combine(dirs[0], "d")).Length);
        // Once there, no stream is opened at all.
        await _cache.GetAsync(layer.Digest, _ => throw new InvalidOperationException("should not open"), CancellationToken.None);
    }

    [Fact]
    public async Task Packing_is_deterministic_and_round_trips_through_the_cache()
    {
        var src = Path.Combine(_dir, "src");
        Directory.CreateDirectory(Path.Combine(src, "bin"));
        Directory.CreateDirectory(Path.Combine(src, "dev"));
        Directory.CreateDirectory(Path.Combine(src, "proc", "1"));
        await File.WriteAllTextAsync(Path.Combine(src, "bin", "app"), "#!/bin/sh\necho app\n");
        File.SetUnixFileMode(Path.Combine(src, "bin", "app"), (UnixFileMode)0x1ED);
        await File.WriteAllTextAsync(Path.Combine(src, "dev", "junk"), "device-ish");
        await File.WriteAllTextAsync(Path.Combine(src, "proc", "1", "status"), "x");
        await File.WriteAllTextAsync(Path.Combine(src, "b.txt"), "bbb");
        await File.WriteAllTextAsync(Path.Combine(src, "a.txt"), new string('a', 100_000));
        File.CreateSymbolicLink(Path.Combine(src, "bin", "app-link"), "app");
        await Host.RunAsync("ln", Path.Combine(src, "a.txt"), Path.Combine(src, "a-hardlink.txt"));
        var options = new LayerPackOptions { Prefix = "home/vcap/app/", Exclude = ["dev/*", "proc/*"] };

        var first = await PackAsync(src, options);
        // Different times and a different creation order must not change the digest.
        foreach (var f in Directory.EnumerateFileSystemEntries(src, "*", SearchOption.AllDirectories))
            if (!f.EndsWith("app-link")) File.SetLastWriteTimeUtc(f, new DateTime(2011, 1, 1));
        File.Delete(Path.Combine(src, "b.txt"));
        await File.WriteAllTextAsync(Path.Combine(src, "b.txt"), "bbb");
        var second = await PackAsync(src, options);
        Assert.Equal(first.Packed, second.Packed);
        Assert.Equal(first.Packed.Size, first.Bytes.Length);
        Assert.Equal("sha256:" + Convert.ToHexStringLower(SHA256.HashData(first.Bytes)), first.Packed.Digest);

        // Content changes do change it.
        await File.WriteAllTextAsync(Path.Combine(src, "b.txt"), "ccc");
        Assert.NotEqual(first.Packed.Digest, (await PackAsync(src, options)).Packed.Digest);

        var names = new List<string>();
        using (var tar = new TarReader(new GZipStream(new MemoryStream(first.Bytes), CompressionMode.Decompress)))
            while (tar.GetNextEntry() is { } e)
            {
                names.Add(e.Name);
                Assert.Equal(new DateTimeOffset(1980, 1, 1, 0, 0, 1, TimeSpan.Zero), e.ModificationTime);
                Assert.Equal("", ((PosixTarEntry)e).UserName);
            }
        Assert.Equal(
        [
            "home/", "home/vcap/", "home/vcap/app/", "home/vcap/app/a-hardlink.txt", "home/vcap/app/a.txt", "home/vcap/app/b.txt",
            "home/vcap/app/bin/", "home/vcap/app/bin/app", "home/vcap/app/bin/app-link", "home/vcap/app/dev/", "home/vcap/app/proc/",
        ], names);

        var dir = await _cache.GetAsync(first.Packed.Digest, _ => Task.FromResult<Stream>(new MemoryStream(first.Bytes)), CancellationToken.None);
        var app = Path.Combine(dir, "home/vcap/app");
        Assert.Equal("#!/bin/sh\necho app\n", await File.ReadAllTextAsync(Path.Combine(app, "bin/app")));
        Assert.Equal(0x1EDu, UnixFileTypes.Stat(Path.Combine(app, "bin/app")).Permissions);
        Assert.Equal("app", new FileInfo(Path.Combine(app, "bin/app-link")).LinkTarget);
        Assert.Equal(UnixFileTypes.Stat(Path.Combine(app, "a.txt")).Inode, UnixFileTypes.Stat(Path.Combine(app, "a-hardlink.txt")).Inode);
        Assert.Empty(Directory.EnumerateFileSystemEntries(Path.Combine(app, "dev")));
    }

    private static async Task<(PackedLayer Packed, byte[] Bytes)> PackAsync(string src, LayerPackOptions options)
    {
        var ms = new MemoryStream();
        var packed = await LayerPacker.PackAsync(src, ms, options, CancellationToken.None);
        return (packed, ms.ToArray());
    }
}
