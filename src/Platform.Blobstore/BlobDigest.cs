using System.Security.Cryptography;

namespace Platform.Blobstore;

/// <summary>
/// The one place that parses and formats digests. Everything that turns a digest into a path or an object
/// key goes through <see cref="ParseHex"/>, so a digest can never smuggle "../" or a different key in.
/// </summary>
public static class BlobDigest
{
    public const string Prefix = "sha256:";
    private const int HexLength = 64;

    /// <summary>Whether <paramref name="digest"/> is "sha256:" followed by 64 lowercase hex digits.</summary>
    public static bool IsValid(string? digest) =>
        digest is { Length: 7 + HexLength }
        && digest.StartsWith(Prefix, StringComparison.Ordinal)
        && digest.AsSpan(Prefix.Length).ContainsAnyExcept("0123456789abcdef") == false;

    /// <summary>Returns the hex part of a valid digest; throws <see cref="ArgumentException"/> otherwise.</summary>
    public static string ParseHex(string digest, string? paramName = "digest") =>
        IsValid(digest)
            ? digest[Prefix.Length..]
            : throw new ArgumentException(
                $"invalid blob digest '{Truncate(digest)}': expected \"sha256:\" followed by 64 lowercase hex digits",
                paramName);

    /// <summary>The storage key of a digest: "sha256/&lt;hex&gt;".</summary>
    public static string StorageKey(string digest) => "sha256/" + ParseHex(digest);

    public static string FromHash(ReadOnlySpan<byte> sha256) => Prefix + Convert.ToHexStringLower(sha256);

    /// <summary>The digest of a whole stream, read to its end.</summary>
    public static async Task<string> ComputeAsync(Stream content, CancellationToken cancellationToken) =>
        FromHash(await SHA256.HashDataAsync(content, cancellationToken));

    private static string Truncate(string? s) => s is null ? "(null)" : s.Length > 80 ? s[..80] + "..." : s;
}
