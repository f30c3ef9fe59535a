using System.IO.Compression;
using System.Text;

namespace Platform.Api.Packages;

/// <summary>
/// Decides whether an uploaded zip (a .war or .jar is one too) is safe to stage: it must open and read
/// through (CRCs checked), and no entry may point outside the app directory when extracted: no ".."
/// segments, no absolute paths, no symlink whose target is absolute or climbs out of the root.
/// </summary>
public static class ArchiveValidator
{
    private const int SymlinkFileType = 0xA000; // S_IFLNK
    private const int FileTypeMask = 0xF000;    // S_IFMT
    private const int MaxSymlinkTargetBytes = 4096;

    /// <summary>Returns null when the archive is acceptable, else a message naming the first bad entry.</summary>
    public static async Task<string?> ValidateAsync(string zipPath, CancellationToken ct)
    {
        try
        {
            await using var file = new FileStream(zipPath, FileMode.Open, FileAccess.Read, FileShare.Read, 81920, useAsync: true);
            await using var zip = await ZipArchive.CreateAsync(file, ZipArchiveMode.Read, leaveOpen: false, entryNameEncoding: null, ct);
            var buffer = new byte[81920];
            foreach (var entry in zip.Entries)
            {
                if (CheckPath(entry.FullName) is { } pathError)
                    return pathError;
                var isSymlink = ((entry.ExternalAttributes >> 16) & FileTypeMask) == SymlinkFileType;
                await using var content = await entry.OpenAsync(ct);
                if (isSymlink)
                {
                    if (entry.Length > MaxSymlinkTargetBytes)
                        return $"entry '{entry.FullName}' is a symlink with a target longer than {MaxSymlinkTargetBytes} bytes";
                    using var reader = new StreamReader(content, Encoding.UTF8);
                    var target = await reader.ReadToEndAsync(ct);
                    if (CheckSymlink(entry.FullName, target) is { } linkError)
                        return linkError;
                }
                else
                {
                    // Reading every entry to its end makes the zip library verify its CRC and length.
                    while (await content.ReadAsync(buffer, ct) > 0) { }
                }
            }
            return null;
        }
        catch (InvalidDataException e)
        {
            return $"the archive is not a valid zip file: {e.Message}";
        }
    }

    /// <summary>An entry name must stay inside the root when extracted.</summary>
    public static string? CheckPath(string name)
    {
        if (name.Length == 0)
            return "the archive has an entry with an empty name";
        if (IsAbsolute(name))
            return $"entry '{name}' has an absolute path; archive paths must be relative to the app's root";
        if (Segments(name).Any(s => s == ".."))
            return $"entry '{name}' contains a '..' segment that would escape the app's root";
        return null;
    }

    /// <summary>A symlink's target must be relative and resolve (from the link's directory) inside the root.</summary>
    public static string? CheckSymlink(string entryName, string target)
    {
        if (target.Length == 0)
            return $"entry '{entryName}' is a symlink with an empty target";
        if (IsAbsolute(target))
            return $"entry '{entryName}' is a symlink to the absolute path '{target}'; symlinks must stay inside the app";
        // Depth below the root of the directory holding the link, then walk the target from there.
        var depth = Segments(entryName).Count - 1;
        foreach (var segment in Segments(target))
        {
            if (segment == "..")
            {
                if (--depth < 0)
                    return $"entry '{entryName}' is a symlink to '{target}', which points outside the app";
            }
            else if (segment != ".")
            {
                depth++;
            }
        }
        return null;
    }

    private static bool IsAbsolute(string path) =>
        path[0] is '/' or '\\' || (path.Length >= 2 && char.IsAsciiLetter(path[0]) && path[1] == ':');

    private static List<string> Segments(string path) =>
        path.Split('/', '\\').Where(s => s.Length > 0).ToList();
}
