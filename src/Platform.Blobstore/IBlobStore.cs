namespace Platform.Blobstore;

/// <summary>
/// Content-addressed storage: a blob's key is the sha256 of its bytes ("sha256:&lt;hex&gt;", stored under
/// "sha256/&lt;hex&gt;"). Putting equal content twice stores it once.
/// </summary>
public interface IBlobStore
{
    /// <summary>Stores the stream's bytes and returns their digest ("sha256:hex").</summary>
    Task<BlobInfo> PutAsync(Stream content, CancellationToken cancellationToken);

    /// <summary>Stores a file's bytes and returns their digest.</summary>
    Task<BlobInfo> PutFileAsync(string path, CancellationToken cancellationToken);

    Task<bool> ExistsAsync(string digest, CancellationToken cancellationToken);

    /// <summary>Opens a blob for reading; throws <see cref="BlobNotFoundException"/> when absent.</summary>
    Task<Stream> OpenReadAsync(string digest, CancellationToken cancellationToken);

    /// <summary>Copies a blob to a file, verifying its digest; throws when absent or corrupt.</summary>
    Task DownloadToFileAsync(string digest, string path, CancellationToken cancellationToken);

    /// <summary>Deletes a blob; succeeds when it is already gone.</summary>
    Task DeleteAsync(string digest, CancellationToken cancellationToken);
}

public sealed record BlobInfo(string Digest, long Size);

public sealed class BlobNotFoundException(string digest) : Exception($"blob {digest} not found")
{
    public string Digest { get; } = digest;
}
