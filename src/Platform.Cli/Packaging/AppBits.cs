using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;
using Platform.Contracts.Api;

namespace Platform.Cli.Packaging;

/// <summary>
/// An app's files as the platform's resource list: each entry's path, mode and content digest, from a directory
/// (entries in ordinal path order, parents first; unix modes kept; symlinks kept as links, their target as content,
/// never followed; empty directories kept; .git, .hg and .svn left out, as cf push does) or from a .zip/.war/.jar
/// read entry by entry. The API writes the package from this list, so its <see cref="Fingerprint"/> says whether a
/// push has anything new, and <see cref="WriteBits"/> sends only the contents the platform lacks.
/// </summary>
public sealed class AppBits : IDisposable
{
    private static readonly HashSet<string> Skipped = new(StringComparer.Ordinal) { ".git", ".hg", ".svn" };

    private readonly string? _directory;
    private readonly ZipArchive? _archive;
    private readonly Dictionary<string, string>? _links; // path -> symlink target, for a directory

    private AppBits(IReadOnlyList<PackageResource> resources, string? directory, ZipArchive? archive, Dictionary<string, string>? links)
    {
        Resources = resources;
        _directory = directory;
        _archive = archive;
        _links = links;
        Fingerprint = PackageResources.Fingerprint(resources);
        TotalBytes = resources.Where(r => !r.IsDirectory).Sum(r => r.Size);
    }

    public IReadOnlyList<PackageResource> Resources { get; }
    public string Fingerprint { get; }
    /// <summary>The size of every file's content together: what a push without matching would send.</summary>
    public long TotalBytes { get; }
    public int Files => Resources.Count(r => !r.IsDirectory);

    public static AppBits FromDirectory(string directory)
    {
        var root = new DirectoryInfo(directory);
        if (!root.Exists) throw new CliException($"'{directory}' is not a directory");
        var resources = new List<PackageResource>();
        var links = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (relative, info) in Walk(root, ""))
        {
            if (info.LinkTarget is { } target)
            {
                var bytes = Encoding.UTF8.GetBytes(target);
                resources.Add(new PackageResource(relative, PackageResources.Symlink | 0x1FF, Digest(bytes), bytes.Length));
                links[relative] = target;
            }
            else if (info is DirectoryInfo dir)
                resources.Add(new PackageResource(relative + "/", PackageResources.Directory | Mode(dir, 0x1ED)));
            else
            {
                using var file = new FileStream(info.FullName, FileMode.Open, FileAccess.Read, FileShare.Read, 81920);
                resources.Add(new PackageResource(relative, PackageResources.RegularFile | Mode(info, 0x1A4),
                    "sha256:" + Convert.ToHexStringLower(SHA256.HashData(file)), file.Length));
            }
        }
        return new AppBits(resources, root.FullName, null, links);
    }

    public static AppBits FromArchive(string path)
    {
        ZipArchive zip;
        try
        {
            zip = ZipFile.OpenRead(path);
        }
        catch (InvalidDataException e)
        {
            throw new CliException($"{path} is not a valid zip archive: {e.Message}");
        }
        try
        {
            var resources = new List<PackageResource>();
            var seen = new HashSet<string>(StringComparer.Ordinal);
            foreach (var entry in zip.Entries)
            {
                if (!seen.Add(entry.FullName)) throw new CliException($"{path} has the entry '{entry.FullName}' twice");
                var mode = PackageResources.ModeOf(entry.ExternalAttributes);
                if (entry.FullName.EndsWith('/')) { resources.Add(new PackageResource(entry.FullName, mode)); continue; }
                using var content = entry.Open();
                resources.Add(new PackageResource(entry.FullName, mode, "sha256:" + Convert.ToHexStringLower(SHA256.HashData(content)), entry.Length));
            }
            return new AppBits(resources, null, zip, null);
        }
        catch (Exception e) when (e is InvalidDataException or CliException)
        {
            zip.Dispose();
            throw e as CliException ?? new CliException($"{path} is not a valid zip archive: {e.Message}");
        }
    }

    /// <summary>Writes a zip of the contents of <paramref name="entries"/> (files of this app): the upload's bits.</summary>
    public void WriteBits(IEnumerable<PackageResource> entries, Stream output)
    {
        using var zip = new ZipArchive(output, ZipArchiveMode.Create, leaveOpen: true);
        foreach (var resource in entries.DistinctBy(r => r.Path))
        {
            var entry = zip.CreateEntry(resource.Path, CompressionLevel.Fastest);
            using var target = entry.Open();
            if (_links is not null && _links.TryGetValue(resource.Path, out var link)) target.Write(Encoding.UTF8.GetBytes(link));
            else if (_archive is not null) { using var source = _archive.GetEntry(resource.Path)!.Open(); source.CopyTo(target); }
            else { using var source = File.OpenRead(Path.Combine(_directory!, resource.Path)); source.CopyTo(target); }
        }
    }

    public void Dispose() => _archive?.Dispose();

    private static string Digest(byte[] bytes) => "sha256:" + Convert.ToHexStringLower(SHA256.HashData(bytes));

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

    private static int Mode(FileSystemInfo info, int fallback) =>
        OperatingSystem.IsWindows() ? fallback : (int)info.UnixFileMode & 0xFFF;
}
