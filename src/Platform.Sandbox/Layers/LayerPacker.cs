using System.Formats.Tar;
using System.IO.Compression;
using System.IO.Enumeration;
using Platform.Sandbox.Native;

namespace Platform.Sandbox.Layers;

/// <summary>A packed layer: the sha256 digest and size of its compressed bytes.</summary>
public sealed record PackedLayer(string Digest, long Size);

/// <summary>How <see cref="LayerPacker"/> packs a directory.</summary>
public sealed record LayerPackOptions
{
    /// <summary>
    /// A path the entries appear under, e.g. "home/vcap/app/". The prefix's directories are written too, with
    /// mode 0755 and the source directory's owner (the last one with the source directory's mode).
    /// </summary>
    public string? Prefix { get; init; }

    /// <summary>
    /// Paths (relative to the source, '/'-separated) to leave out, with * and ? wildcards where * also matches
    /// '/': "dev/*" keeps dev/ itself but nothing in it. An excluded directory is left out whole.
    /// </summary>
    public IReadOnlyList<string> Exclude { get; init; } = [];

    /// <summary>Fixed so that equal content gives equal bytes; the same level must be used for equal digests.</summary>
    public CompressionLevel CompressionLevel { get; init; } = CompressionLevel.Fastest;

    /// <summary>Every entry's modification (and access and change) time.</summary>
    public DateTimeOffset Timestamp { get; init; } = new(1980, 1, 1, 0, 0, 1, TimeSpan.Zero);
}

/// <summary>
/// Packs a directory into a deterministic OCI layer (tar+gzip): entries sorted, times fixed, no user or group
/// names, hard links kept as links. Packing equal content twice gives the same digest, so equal layers are
/// stored and cached once.
/// </summary>
public static class LayerPacker
{
    public static async Task<PackedLayer> PackAsync(
        string sourceDirectory, Stream destination, LayerPackOptions? options, CancellationToken cancellationToken)
    {
        options ??= new LayerPackOptions();
        if (!Directory.Exists(sourceDirectory)) throw new DirectoryNotFoundException($"nothing to pack: {sourceDirectory} does not exist");
        var prefix = NormalizePrefix(options.Prefix);
        return await Task.Run(() =>
        {
            using var hashing = new HashingStream(destination, leaveOpen: true);
            using (var gzip = new GZipStream(hashing, options.CompressionLevel, leaveOpen: true))
            using (var buffered = new BufferedStream(gzip, 1 << 16))
            using (var tar = new TarWriter(buffered, TarEntryFormat.Gnu, leaveOpen: true))
            {
                var packer = new Walker(tar, options, cancellationToken);
                packer.WritePrefixDirectories(sourceDirectory, prefix);
                packer.WriteChildren(sourceDirectory, "", prefix);
            }
            hashing.Flush();
            return new PackedLayer(hashing.FinishDigest(), hashing.BytesHashed);
        }, cancellationToken);
    }

    /// <summary>Packs into a file (written to a temporary name first, then renamed).</summary>
    public static async Task<PackedLayer> PackToFileAsync(
        string sourceDirectory, string destinationFile, LayerPackOptions? options, CancellationToken cancellationToken)
    {
        var temp = destinationFile + ".tmp-" + Guid.NewGuid().ToString("N");
        try
        {
            PackedLayer packed;
            await using (var file = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16))
                packed = await PackAsync(sourceDirectory, file, options, cancellationToken);
            File.Move(temp, destinationFile, overwrite: true);
            return packed;
        }
        catch
        {
            File.Delete(temp);
            throw;
        }
    }

    private static string NormalizePrefix(string? prefix)
    {
        if (string.IsNullOrEmpty(prefix)) return "";
        var normalized = LayerExtractor.Normalize(prefix.TrimStart('/'), "prefix");
        return normalized.Length == 0 ? "" : normalized + "/";
    }

    private sealed class Walker(TarWriter tar, LayerPackOptions options, CancellationToken cancellationToken)
    {
        /// <summary>First name written for each (device, inode) with more than one link.</summary>
        private readonly Dictionary<(uint, uint, ulong), string> _linked = [];

        public void WritePrefixDirectories(string source, string prefix)
        {
            if (prefix.Length == 0) return;
            var st = Lstat(source);
            var parts = prefix.TrimEnd('/').Split('/');
            for (var i = 0; i < parts.Length; i++)
            {
                var entry = Entry(TarEntryType.Directory, string.Join('/', parts[..(i + 1)]) + "/", st);
                if (i < parts.Length - 1) entry.Mode = (UnixFileMode)0x1ED; // 0755
                tar.WriteEntry(entry);
            }
        }

        public void WriteChildren(string directory, string relative, string prefix)
        {
            var names = Directory.EnumerateFileSystemEntries(directory).Select(Path.GetFileName).OfType<string>().ToList();
            names.Sort(StringComparer.Ordinal);
            foreach (var name in names)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var rel = relative.Length == 0 ? name : $"{relative}/{name}";
                if (IsExcluded(rel)) continue;
                var full = Path.Combine(directory, name);
                var st = Lstat(full);
                var tarName = prefix + rel;
                switch (st.FileType)
                {
                    case Libc.S_IFDIR:
                        tar.WriteEntry(Entry(TarEntryType.Directory, tarName + "/", st));
                        WriteChildren(full, rel, prefix);
                        break;
                    case Libc.S_IFREG:
                        if (st.NLink > 1)
                        {
                            var key = (st.DevMajor, st.DevMinor, st.Inode);
                            if (_linked.TryGetValue(key, out var first))
                            {
                                var link = Entry(TarEntryType.HardLink, tarName, st);
                                link.LinkName = first;
                                tar.WriteEntry(link);
                                break;
                            }
                            _linked[key] = tarName;
                        }
                        var file = Entry(TarEntryType.RegularFile, tarName, st);
                        using (var data = new FileStream(full, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.SequentialScan))
                        {
                            file.DataStream = data;
                            tar.WriteEntry(file);
                        }
                        break;
                    case Libc.S_IFLNK:
                        var symlink = Entry(TarEntryType.SymbolicLink, tarName, st);
                        symlink.LinkName = new FileInfo(full).LinkTarget ?? throw new IOException($"cannot read the symlink {full}");
                        tar.WriteEntry(symlink);
                        break;
                    case Libc.S_IFCHR or Libc.S_IFBLK:
                        var device = Entry(st.FileType == Libc.S_IFCHR ? TarEntryType.CharacterDevice : TarEntryType.BlockDevice, tarName, st);
                        device.DeviceMajor = (int)st.RdevMajor;
                        device.DeviceMinor = (int)st.RdevMinor;
                        tar.WriteEntry(device);
                        break;
                    case Libc.S_IFIFO:
                        tar.WriteEntry(Entry(TarEntryType.Fifo, tarName, st));
                        break;
                    default:
                        break; // sockets have no place in a layer
                }
            }
        }

        private bool IsExcluded(string relative)
        {
            foreach (var pattern in options.Exclude)
                if (FileSystemName.MatchesSimpleExpression(pattern.Trim('/'), relative, ignoreCase: false)) return true;
            return false;
        }

        private GnuTarEntry Entry(TarEntryType type, string name, StatxBuffer st) => new(type, name)
        {
            Mode = (UnixFileMode)st.Permissions,
            Uid = (int)st.Uid,
            Gid = (int)st.Gid,
            UserName = "",
            GroupName = "",
            ModificationTime = options.Timestamp,
            AccessTime = options.Timestamp,
            ChangeTime = options.Timestamp,
        };

        private static StatxBuffer Lstat(string path) =>
            Libc.TryLstat(path, out var st) ? st : throw Libc.Failure("statx", path);
    }
}
