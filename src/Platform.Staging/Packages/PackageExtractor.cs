using System.IO.Compression;

namespace Platform.Staging.Packages;

/// <summary>
/// Unpacks an app package (a zip) into a directory, refusing anything that could write outside it: absolute
/// names, ".." segments, and symbolic links that point out of the app. The API checks this too; the stager
/// checks again because it is the one that writes to disk. Unix modes stored in the zip's external
/// attributes are kept, so executables stay executable.
/// </summary>
public static class PackageExtractor
{
    private const int FileTypeMask = 0xF000; // S_IFMT
    private const int SymlinkType = 0xA000;  // S_IFLNK
    private const int DirectoryType = 0x4000; // S_IFDIR
    private const int MaxSymlinkTargetLength = 4096;

    /// <summary>Extracts <paramref name="zipPath"/> into the existing empty <paramref name="destination"/>.</summary>
    /// <param name="maxBytes">Largest total of unpacked file sizes; more is rejected (zip bombs).</param>
    /// <exception cref="StagingFailedException">The package is not a zip or holds an unsafe entry.</exception>
    public static async Task ExtractAsync(string zipPath, string destination, long maxBytes, CancellationToken cancellationToken)
    {
        var root = Path.GetFullPath(destination);
        ZipArchive archive;
        try
        {
            archive = await ZipFile.OpenReadAsync(zipPath, cancellationToken);
        }
        catch (InvalidDataException e)
        {
            throw new StagingFailedException($"the package is not a valid zip file: {e.Message}", e);
        }

        await using (archive)
        {
            // Links are made last: while files are written no link exists, so no write can go through one.
            var links = new List<(string Path, string Target)>();
            long total = 0;
            foreach (var entry in archive.Entries)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var relative = CheckedRelativeName(entry.FullName);
                if (relative.Length == 0) continue; // "./" or "/" alone: the root itself
                var target = Path.Combine(root, relative);
                var mode = (entry.ExternalAttributes >> 16) & 0xFFFF;
                var type = mode & FileTypeMask;
                var isDirectory = entry.FullName.EndsWith('/') || entry.FullName.EndsWith('\\') || type == DirectoryType;

                if (type == SymlinkType)
                {
                    if (entry.Length > MaxSymlinkTargetLength)
                        throw Unsafe(entry.FullName, "a symbolic link target that long is not allowed");
                    using var reader = new StreamReader(await entry.OpenAsync(cancellationToken));
                    var linkTarget = await reader.ReadToEndAsync(cancellationToken);
                    CheckLinkTarget(entry.FullName, relative, linkTarget);
                    links.Add((target, linkTarget));
                    continue;
                }

                if (isDirectory)
                {
                    Directory.CreateDirectory(target);
                    SetMode(target, mode, directory: true);
                    continue;
                }

                total += entry.Length;
                if (total > maxBytes)
                    throw new StagingFailedException(
                        $"the package unpacks to more than {maxBytes / (1024 * 1024)} MB, the app's disk quota");
                Directory.CreateDirectory(Path.GetDirectoryName(target)!);
                if (File.Exists(target) || Directory.Exists(target))
                    throw Unsafe(entry.FullName, "the package holds this path twice");
                await using (var source = await entry.OpenAsync(cancellationToken))
                await using (var output = new FileStream(target, FileMode.CreateNew, FileAccess.Write, FileShare.None, 81920, useAsync: true))
                {
                    await CopyBoundedAsync(source, output, entry.Length, entry.FullName, cancellationToken);
                }
                SetMode(target, mode, directory: false);
                // The zip's times, not the staging time: the same package then packs into the same app layer.
                File.SetLastWriteTimeUtc(target, entry.LastWriteTime.UtcDateTime);
            }

            foreach (var (path, linkTarget) in links)
            {
                CheckNoLinkOnTheWay(root, path);
                Directory.CreateDirectory(Path.GetDirectoryName(path)!);
                if (File.Exists(path) || Directory.Exists(path) || new FileInfo(path).LinkTarget is not null)
                    throw Unsafe(Path.GetRelativePath(root, path), "the package holds this path twice");
                File.CreateSymbolicLink(path, linkTarget);
            }
        }
    }

    /// <summary>Validates an entry name and returns it as a relative path with '/' separators.</summary>
    private static string CheckedRelativeName(string name)
    {
        if (name.Contains('\0')) throw Unsafe(name, "the name holds a NUL character");
        var normalized = name.Replace('\\', '/');
        if (normalized.StartsWith('/') || (normalized.Length >= 2 && normalized[1] == ':'))
            throw Unsafe(name, "absolute paths are not allowed");
        var segments = normalized.Split('/', StringSplitOptions.RemoveEmptyEntries).Where(s => s != ".").ToArray();
        if (segments.Any(s => s == ".."))
            throw Unsafe(name, "'..' would write outside the app directory");
        return string.Join('/', segments);
    }

    /// <summary>
    /// A link may point anywhere inside the app, relative to its own directory: some leading ".." (no more
    /// than the directories it sits in), then plain names only. A ".." after a name is refused even when it
    /// looks harmless, because the name could itself be a link and the ".." would then climb from wherever
    /// that link points.
    /// </summary>
    private static void CheckLinkTarget(string entryName, string relative, string linkTarget)
    {
        if (linkTarget.Length == 0 || linkTarget.Contains('\0'))
            throw Unsafe(entryName, "a symbolic link with an empty or invalid target");
        if (linkTarget.StartsWith('/'))
            throw Unsafe(entryName, $"the symbolic link points to the absolute path '{linkTarget}'");
        var depth = relative.Split('/').Length - 1; // directories between the root and the link
        var climbing = true;
        foreach (var segment in linkTarget.Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            if (segment == ".") continue;
            if (segment != "..")
            {
                climbing = false;
                continue;
            }
            if (!climbing || --depth < 0)
                throw Unsafe(entryName, $"the symbolic link target '{linkTarget}' may point outside the app directory");
        }
    }

    /// <summary>Refuses to create a link inside a directory reached through another link.</summary>
    private static void CheckNoLinkOnTheWay(string root, string path)
    {
        var relativeParent = Path.GetRelativePath(root, Path.GetDirectoryName(path)!);
        if (relativeParent == ".") return;
        var current = root;
        foreach (var segment in relativeParent.Split('/'))
        {
            current = Path.Combine(current, segment);
            if (new FileInfo(current).LinkTarget is not null)
                throw Unsafe(Path.GetRelativePath(root, path), "its directory runs through a symbolic link");
        }
    }

    private static async Task CopyBoundedAsync(Stream source, Stream output, long declared, string name, CancellationToken ct)
    {
        // The declared size is what the quota counted; a lying header must not write more than that.
        var buffer = new byte[81920];
        long written = 0;
        int n;
        while ((n = await source.ReadAsync(buffer, ct)) > 0)
        {
            written += n;
            if (written > declared) throw Unsafe(name, "the entry is larger than its header says");
            await output.WriteAsync(buffer.AsMemory(0, n), ct);
        }
    }

    private static void SetMode(string path, int mode, bool directory)
    {
        if (OperatingSystem.IsWindows()) return; // the stager runs on Linux; this keeps the analyzer honest
        var permissions = mode & 0x1FF; // rwxrwxrwx; setuid/setgid/sticky are dropped on purpose
        if (permissions == 0)
            permissions = directory ? 0x1ED /* 0755 */ : 0x1A4 /* 0644 */; // zips made on Windows carry no mode
        if (directory) permissions |= 0x1C0; // the owner must be able to enter and write its own directories
        else permissions |= 0x180; // ... and read and write its own files
        File.SetUnixFileMode(path, (UnixFileMode)permissions);
    }

    private static StagingFailedException Unsafe(string name, string why) =>
        new($"the package was rejected: entry '{name}': {why}");
}
