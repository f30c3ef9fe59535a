namespace Platform.Blobstore;

/// <summary>The bytes stored under a digest do not hash to it (a damaged disk, a tampered object).</summary>
public sealed class BlobCorruptException(string digest, string actualDigest)
    : Exception($"blob {digest} is corrupt: its content hashes to {actualDigest}")
{
    public string Digest { get; } = digest;
    public string ActualDigest { get; } = actualDigest;
}
