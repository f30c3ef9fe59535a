using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;

namespace Platform.Contracts.Api;

/// <summary>
/// One entry of an app package, as plat lists it for resource matching and for the upload: <see cref="Path"/> as in a
/// zip (a directory's ends with '/'), <see cref="Mode"/> the unix mode with its file type bits (0o100644 a file,
/// 0o40755 a directory, 0o120777 a symlink; 0 when the archive it came from had none), and for anything but a
/// directory the sha256 and length of its content (a symlink's content is its target).
/// </summary>
public sealed record PackageResource(string Path, int Mode, string? Digest = null, long Size = 0)
{
    public bool IsDirectory => Path.EndsWith('/');
}

/// <summary>A file content by digest ("sha256:hex") and length, as resource matching asks about it.</summary>
public sealed record ResourceDigest(string Digest, long Size);

/// <summary>Body of POST /v1/spaces/{space}/resource_match: the contents plat would upload.</summary>
public sealed record ResourceMatchRequest(IReadOnlyList<ResourceDigest>? Resources = null);

/// <summary>The contents of the request the platform already has for this org: plat leaves them out of the upload.</summary>
public sealed record ResourceMatchResponse(IReadOnlyList<ResourceDigest> Resources);

/// <summary>
/// The package rules plat and the API share: the fingerprint that identifies a package by its entries, and what a
/// resource list must look like.
/// </summary>
public static partial class PackageResources
{
    /// <summary>The most entries a package may list (node_modules trees run to tens of thousands).</summary>
    public const int MaxEntries = 200_000;

    /// <summary>
    /// The package's identity: sha256 over each entry's mode, digest and path in order. Equal lists give equal packages
    /// (the API writes a package from its list alone), so plat can tell without uploading that nothing changed.
    /// </summary>
    public static string Fingerprint(IEnumerable<PackageResource> entries)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var e in entries)
            hash.AppendData(Encoding.UTF8.GetBytes($"{e.Mode}\t{e.Digest ?? "-"}\t{e.Path}\n"));
        return "sha256:" + Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    /// <summary>Null when the list can describe a package, else what is wrong with the first bad entry.</summary>
    public static string? Check(IReadOnlyList<PackageResource>? entries)
    {
        if (entries is null) return "give the package's entries: [{path, mode, digest, size}]";
        if (entries.Count > MaxEntries) return $"a package may have at most {MaxEntries} entries, not {entries.Count}";
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var e in entries)
        {
            if (e is null || string.IsNullOrEmpty(e.Path) || e.Path.Length > 4096 || e.Path.Contains('\0'))
                return "every entry needs a path of 1 to 4096 characters without NUL";
            if (!seen.Add(e.Path)) return $"entry '{e.Path}' is listed twice";
            if (e.IsDirectory)
            {
                if (e.Digest is not null || e.Size != 0) return $"entry '{e.Path}' is a directory: it has no digest or size";
            }
            else if (e.Digest is null || !IsDigest(e.Digest) || e.Size < 0)
                return $"entry '{e.Path}' needs its content's digest (sha256:<64 hex digits>) and size";
        }
        return null;
    }

    public static bool IsDigest(string digest) => DigestPattern().IsMatch(digest);

    /// <summary>The unix mode (with its type bits) a zip entry's external attributes hold; 0 when the zip has none.</summary>
    public static int ModeOf(int externalAttributes) => (externalAttributes >> 16) & 0xFFFF;

    public const int RegularFile = 0x8000;  // S_IFREG
    public const int Directory = 0x4000;    // S_IFDIR
    public const int Symlink = 0xA000;      // S_IFLNK
    public const int TypeMask = 0xF000;     // S_IFMT

    /// <summary>The external attributes to write for a mode: the unix mode above, and MS-DOS's directory bit for a directory.</summary>
    public static int ExternalAttributesOf(int mode) => (mode << 16) | ((mode & TypeMask) == Directory ? 0x10 : 0);

    [GeneratedRegex("^sha256:[0-9a-f]{64}$")]
    private static partial Regex DigestPattern();
}
