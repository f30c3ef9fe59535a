using System.Formats.Tar;
using Microsoft.Win32.SafeHandles;
using Platform.Sandbox.Native;

namespace Platform.Sandbox.Layers;

/// <summary>
/// Unpacks one OCI layer tar into a directory: modes, owners, symlinks, hard links and device nodes as in the
/// tar; OCI whiteouts turned into overlayfs ones (".wh.NAME" -> a 0/0 character device, ".wh..wh..opq" -> the
/// trusted.overlay.opaque xattr). Entries that are absolute, contain "..", or would write through a symlink are
/// rejected, so nothing outside the directory can be touched.
/// </summary>
internal sealed class LayerExtractor(string root)
{
    private const string WhiteoutPrefix = ".wh.";
    private const string OpaqueMarker = ".wh..wh..opq";

    /// <summary>Relative paths known to be real directories (not symlinks) in this unpack, to skip lstat calls.</summary>
    private readonly HashSet<string> _realDirectories = new(StringComparer.Ordinal) { "" };
    private readonly List<(string Path, DateTimeOffset Time)> _directoryTimes = [];
    private readonly byte[] _buffer = new byte[256 * 1024];

    public void Extract(Stream tar, CancellationToken cancellationToken)
    {
        using var reader = new TarReader(tar, leaveOpen: true);
        while (reader.GetNextEntry(copyData: false) is { } entry)
        {
            cancellationToken.ThrowIfCancellationRequested();
            Apply(entry);
        }
        // Directory times last: adding entries to a directory changes its mtime.
        for (var i = _directoryTimes.Count - 1; i >= 0; i--)
            Directory.SetLastWriteTimeUtc(_directoryTimes[i].Path, _directoryTimes[i].Time.UtcDateTime);
    }

    private void Apply(TarEntry entry)
    {
        if (entry.EntryType is TarEntryType.GlobalExtendedAttributes) return;
        var relative = Normalize(entry.Name, "entry");
        if (relative.Length == 0) return; // "./": the layer root itself
        var slash = relative.LastIndexOf('/');
        var parent = slash < 0 ? "" : relative[..slash];
        var name = relative[(slash + 1)..];
        EnsureDirectory(parent, entry.Name);
        var full = Full(relative);

        if (name == OpaqueMarker)
        {
            SetXattr(Full(parent), "trusted.overlay.opaque", "y"u8.ToArray());
            return;
        }
        if (name.StartsWith(WhiteoutPrefix, StringComparison.Ordinal))
        {
            var hidden = name[WhiteoutPrefix.Length..];
            if (hidden is "" or "." or "..") throw new InvalidDataException($"layer entry '{entry.Name}' is not a valid whiteout");
            var target = parent.Length == 0 ? hidden : $"{parent}/{hidden}";
            RemoveExisting(target);
            Mknod(Full(target), Libc.S_IFCHR, 0, 0, 0);
            return;
        }

        switch (entry.EntryType)
        {
            case TarEntryType.Directory:
                if (!_realDirectories.Contains(relative))
                {
                    if (!Libc.TryLstat(full, out var st) || st.FileType != Libc.S_IFDIR)
                    {
                        RemoveExisting(relative);
                        Directory.CreateDirectory(full);
                    }
                    _realDirectories.Add(relative);
                }
                SetOwnerAndMode(full, entry);
                _directoryTimes.Add((full, entry.ModificationTime));
                break;

            case TarEntryType.RegularFile or TarEntryType.V7RegularFile or TarEntryType.ContiguousFile:
                WriteFile(relative, full, entry);
                break;

            case TarEntryType.SymbolicLink:
                RemoveExisting(relative);
                if (Libc.Symlink(entry.LinkName, full) != 0) throw Libc.Failure("symlink", full);
                if (Libc.Lchown(full, (uint)entry.Uid, (uint)entry.Gid) != 0) throw Libc.Failure("lchown", full);
                break;

            case TarEntryType.HardLink:
            {
                var target = Normalize(entry.LinkName, "hard link target");
                var targetSlash = target.LastIndexOf('/');
                EnsureDirectory(targetSlash < 0 ? "" : target[..targetSlash], entry.LinkName, create: false);
                var targetFull = Full(target);
                if (!Libc.TryLstat(targetFull, out var st) || st.FileType == Libc.S_IFDIR)
                    throw new InvalidDataException($"layer entry '{entry.Name}' links to '{entry.LinkName}', which is not an earlier file of the layer");
                if (target == relative) break;
                RemoveExisting(relative);
                if (Libc.Link(targetFull, full) != 0) throw Libc.Failure("link", full);
                break;
            }

            case TarEntryType.CharacterDevice or TarEntryType.BlockDevice or TarEntryType.Fifo:
            {
                var posix = (PosixTarEntry)entry;
                var type = entry.EntryType switch
                {
                    TarEntryType.CharacterDevice => Libc.S_IFCHR,
                    TarEntryType.BlockDevice => Libc.S_IFBLK,
                    _ => Libc.S_IFIFO,
                };
                RemoveExisting(relative);
                Mknod(full, type, (uint)entry.Mode, (uint)posix.DeviceMajor, (uint)posix.DeviceMinor);
                SetOwnerAndMode(full, entry);
                break;
            }

            default:
                throw new InvalidDataException($"layer entry '{entry.Name}' has an unsupported type {entry.EntryType}");
        }
    }

    private void WriteFile(string relative, string full, TarEntry entry)
    {
        SafeFileHandle handle;
        try { handle = File.OpenHandle(full, FileMode.CreateNew, FileAccess.Write); }
        catch (IOException) when (Libc.TryLstat(full, out _))
        {
            RemoveExisting(relative);
            handle = File.OpenHandle(full, FileMode.CreateNew, FileAccess.Write);
        }
        using (handle)
        {
            if (entry.DataStream is { } data)
            {
                long offset = 0;
                int n;
                while ((n = data.Read(_buffer)) > 0)
                {
                    RandomAccess.Write(handle, _buffer.AsSpan(0, n), offset);
                    offset += n;
                }
            }
            File.SetLastWriteTimeUtc(handle, entry.ModificationTime.UtcDateTime);
        }
        SetOwnerAndMode(full, entry);
    }

    /// <summary>Owner first: chown clears set-uid/set-gid bits, so the mode goes on after it.</summary>
    private static void SetOwnerAndMode(string full, TarEntry entry)
    {
        if (Libc.Lchown(full, (uint)entry.Uid, (uint)entry.Gid) != 0) throw Libc.Failure("lchown", full);
        if (Libc.Chmod(full, (uint)entry.Mode) != 0) throw Libc.Failure("chmod", full);
    }

    /// <summary>
    /// Makes sure every component of <paramref name="relative"/> is a real directory inside the root, creating
    /// missing ones (0755, root) unless <paramref name="create"/> is false. A symlink on the way is rejected.
    /// </summary>
    private void EnsureDirectory(string relative, string entryName, bool create = true)
    {
        if (_realDirectories.Contains(relative)) return;
        var parts = relative.Split('/');
        var current = "";
        foreach (var part in parts)
        {
            current = current.Length == 0 ? part : $"{current}/{part}";
            if (_realDirectories.Contains(current)) continue;
            var full = Full(current);
            if (Libc.TryLstat(full, out var st))
            {
                if (st.FileType == Libc.S_IFLNK)
                    throw new InvalidDataException($"layer entry '{entryName}' would write through the symlink '{current}'");
                if (st.FileType != Libc.S_IFDIR)
                    throw new InvalidDataException($"layer entry '{entryName}' needs '{current}' to be a directory, but it is a file");
            }
            else if (create) Directory.CreateDirectory(full);
            else throw new InvalidDataException($"layer entry '{entryName}' refers to '{current}', which the layer does not have");
            _realDirectories.Add(current);
        }
    }

    private void RemoveExisting(string relative)
    {
        var full = Full(relative);
        if (!Libc.TryLstat(full, out var st)) return;
        if (st.FileType == Libc.S_IFDIR)
        {
            Directory.Delete(full, recursive: true);
            _realDirectories.RemoveWhere(d => d == relative || d.StartsWith(relative + "/", StringComparison.Ordinal));
        }
        else File.Delete(full);
    }

    private string Full(string relative) => relative.Length == 0 ? root : Path.Combine(root, relative);

    /// <summary>"./a//b/" -> "a/b"; absolute names and ".." are refused.</summary>
    internal static string Normalize(string name, string what)
    {
        if (name.StartsWith('/')) throw new InvalidDataException($"layer {what} '{name}' is an absolute path");
        if (name.Contains('\0')) throw new InvalidDataException($"layer {what} '{name}' contains a NUL character");
        var parts = name.Split('/', StringSplitOptions.RemoveEmptyEntries).Where(p => p != ".").ToArray();
        if (parts.Contains("..")) throw new InvalidDataException($"layer {what} '{name}' contains '..'");
        return string.Join('/', parts);
    }

    private static void Mknod(string path, uint type, uint permissions, uint major, uint minor)
    {
        if (Libc.Mknod(path, type | (permissions & 0xFFF), Libc.MakeDev(major, minor)) != 0) throw Libc.Failure("mknod", path);
    }

    private static void SetXattr(string path, string name, byte[] value)
    {
        if (Libc.Lsetxattr(path, name, value, (nuint)value.Length, 0) != 0) throw Libc.Failure($"setxattr {name}", path);
    }
}
