
namespace Platform.Cell.Metrics;

/// <summary>
/// How much of its writable layer a container uses. When the layer is a filesystem of its own (the sandbox's
/// size-limited loop image at ContainerPaths.Disk) its used blocks and size answer at once; otherwise the upper
/// dir is walked and its files' sizes added up (`du`), and there is no limit to report from the filesystem.
/// </summary>
public static class WritableLayerUsage
{
    /// <param name="diskDirectory">The directory holding the upper dir (ContainerPaths.Disk).</param>
    /// <param name="upperDirectory">The overlay upper dir (ContainerPaths.Upper).</param>
    /// <param name="hostDirectory">A directory on the host filesystem the container directory lives on.</param>
    /// <returns>Bytes used and, for a filesystem of its own, its size; (null, null) when nothing can be read.</returns>
    public static (long? Used, long? Limit) Measure(string diskDirectory, string upperDirectory, string hostDirectory)
    {
        if (StatFs(diskDirectory) is { } disk && StatFs(hostDirectory) is { } host && disk.FsId != host.FsId)
            return ((long)((disk.Blocks - disk.FreeBlocks) * disk.FragmentSize), (long)(disk.Blocks * disk.FragmentSize));
        return (DirectorySize(upperDirectory), null);
    }

    /// <summary>The apparent size of every file under the directory (symlinks not followed), or null when it is gone.</summary>
    public static long? DirectorySize(string directory)
    {
        if (!Directory.Exists(directory)) return null;
        // A walk of our own: .NET's recursive enumeration descends into symlinked directories, which would count
        // whatever a container's symlink points at on the host.
        var options = new EnumerationOptions { IgnoreInaccessible = true, AttributesToSkip = 0, ReturnSpecialDirectories = false };
        long total = 0;
        var pending = new Stack<DirectoryInfo>([new DirectoryInfo(directory)]);
        while (pending.TryPop(out var dir))
        {
            try
            {
                foreach (var entry in dir.EnumerateFileSystemInfos("*", options))
                {
                    if (entry.Attributes.HasFlag(FileAttributes.ReparsePoint)) continue; // a symlink: not followed, not counted
                    if (entry is DirectoryInfo sub) pending.Push(sub);
                    else if (entry is FileInfo file)
                    {
                        try { total += file.Length; }
                        catch (IOException) { } // removed while walking
                    }
                }
            }
            catch (DirectoryNotFoundException) when (dir.FullName != directory) { } // removed while walking
            catch (DirectoryNotFoundException) { return null; }
        }
        return total;
    }

    private sealed record FsStat(ulong FragmentSize, ulong Blocks, ulong FreeBlocks, ulong FsId);

    private static unsafe FsStat? StatFs(string path)
    {
        if (!Directory.Exists(path)) return null;
        Tmds.Linux.statvfs s;
        fixed (byte* p = System.Text.Encoding.UTF8.GetBytes(path + "\0"))
            if (Tmds.Linux.LibC.statvfs(p, &s) != 0) return null;
        return new FsStat(s.f_frsize, (ulong)s.f_blocks, (ulong)s.f_bfree, s.f_fsid);
    }
}
