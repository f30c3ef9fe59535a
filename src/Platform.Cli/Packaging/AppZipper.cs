using System.IO.Compression;
using System.Text;

namespace Platform.Cli.Packaging;

/// <summary>
/// Zips an app directory the way the platform expects: entries in ordinal path order with a fixed
/// timestamp (equal trees give equal bytes, so equal digests), unix modes kept in the entries' external
/// attributes, symlinks kept as symlink entries (their target as content, never followed), empty
/// directories kept. Version-control directories (.git, .hg, .svn) are left out, as cf push does.
/// </summary>
public static class AppZipper
{
    private const int RegularFile = 0x8000; // S_IFREG
    private const int DirectoryType = 0x4000; // S_IFDIR
    private const int SymlinkType = 0xA000; // S_IFLNK
    private const int MsDosDirectory = 0x10;
    private static readonly DateTimeOffset FixedTime = new(2000, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly HashSet<string> Skipped = new(StringComparer.Ordinal) { ".git", ".hg", ".svn" };

    /// <summary>Writes the zip of <paramref name="directory"/> to <paramref name="zipPath"/>; returns the entry count.</summary>
    public static int Zip(string directory, string zipPath)
    {
        var root = new DirectoryInfo(directory);
        if (!root.Exists) throw new CliException($"'{directory}' is not a directory");
        using var file = new FileStream(zipPath, FileMode.Create, FileAccess.Write);
        using var zip = new ZipArchive(file, ZipArchiveMode.Create);
        var count = 0;
        foreach (var (relative, info) in Walk(root, ""))
        {
            count++;
            if (info.LinkTarget is { } target)
            {
                var link = zip.CreateEntry(relative, CompressionLevel.NoCompression);
                Stamp(link, SymlinkType | 0x1FF);
                using var s = link.Open();
                s.Write(Encoding.UTF8.GetBytes(target));
            }
            else if (info is DirectoryInfo dir)
            {
                var entry = zip.CreateEntry(relative + "/", CompressionLevel.NoCompression);
                Stamp(entry, DirectoryType | Mode(dir, 0x1ED), MsDosDirectory);
            }
            else
            {
                var entry = zip.CreateEntry(relative, CompressionLevel.Optimal);
                Stamp(entry, RegularFile | Mode(info, 0x1A4));
                using var s = entry.Open();
                using var source = new FileStream(info.FullName, FileMode.Open, FileAccess.Read);
                source.CopyTo(s);
            }
        }
        return count;
    }

    /// <summary>Every file, directory and symlink below <paramref name="dir"/>, parents before children, in ordinal order.</summary>
    private static IEnumerable<(string Relative, FileSystemInfo Info)> Walk(DirectoryInfo dir, string prefix)
    {
        foreach (var info in dir.EnumerateFileSystemInfos().OrderBy(i => i.Name, StringComparer.Ordinal))
        {
            var relative = prefix + info.Name;
            if (info is DirectoryInfo && info.LinkTarget is null && Skipped.Contains(info.Name))
                continue;
            yield return (relative, info);
            if (info is DirectoryInfo sub && info.LinkTarget is null)
                foreach (var child in Walk(sub, relative + "/"))
                    yield return child;
        }
    }

    private static void Stamp(ZipArchiveEntry entry, int unixMode, int dosAttributes = 0)
    {
        entry.LastWriteTime = FixedTime;
        entry.ExternalAttributes = (unixMode << 16) | dosAttributes;
    }

    private static int Mode(FileSystemInfo info, int fallback) =>
        OperatingSystem.IsWindows() ? fallback : (int)info.UnixFileMode & 0xFFF;
}
