namespace Platform.Blobstore;

/// <summary>
/// Blobs as files under <c>root/sha256/&lt;hex&gt;</c>. A blob is written to a temporary file in that same
/// directory while it is hashed, fsynced, then renamed to its digest: rename is atomic within a directory,
/// so readers see either no blob or the whole blob, never a partial one.
/// </summary>
public sealed class DirectoryBlobStore : IBlobStore
{
    private readonly string _blobDirectory;

    public DirectoryBlobStore(string root)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(root);
        Root = Path.GetFullPath(root);
        _blobDirectory = Path.Combine(Root, "sha256");
        Directory.CreateDirectory(_blobDirectory);
    }

    public string Root { get; }

    /// <summary>The file that holds (or would hold) a blob; validates the digest.</summary>
    public string PathOf(string digest) => Path.Combine(_blobDirectory, BlobDigest.ParseHex(digest));

    public async Task<BlobInfo> PutAsync(Stream content, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(content);
        // Temporary names start with '.', which no digest does, so they are never mistaken for blobs.
        var temporary = Path.Combine(_blobDirectory, $".incoming-{Guid.NewGuid():N}");
        try
        {
            var info = await HashingCopy.ToFileAsync(content, temporary, cancellationToken);
            var final = PathOf(info.Digest);
            if (File.Exists(final))
            {
                // Equal content is stored once.
                HashingCopy.TryDelete(temporary);
                return info;
            }
            // Two writers of equal content may race here; both renames put identical bytes in place.
            File.Move(temporary, final, overwrite: true);
            return info;
        }
        catch
        {
            HashingCopy.TryDelete(temporary);
            throw;
        }
    }

    public async Task<BlobInfo> PutFileAsync(string path, CancellationToken cancellationToken)
    {
        await using var file = OpenForReading(path);
        return await PutAsync(file, cancellationToken);
    }

    public Task<bool> ExistsAsync(string digest, CancellationToken cancellationToken) =>
        Task.FromResult(File.Exists(PathOf(digest)));

    public Task<Stream> OpenReadAsync(string digest, CancellationToken cancellationToken)
    {
        var path = PathOf(digest);
        try
        {
            return Task.FromResult<Stream>(OpenForReading(path));
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new BlobNotFoundException(digest);
        }
    }

    public async Task DownloadToFileAsync(string digest, string path, CancellationToken cancellationToken)
    {
        await using var source = await OpenReadAsync(digest, cancellationToken);
        await HashingCopy.VerifiedDownloadAsync(source, digest, path, cancellationToken);
    }

    public Task DeleteAsync(string digest, CancellationToken cancellationToken)
    {
        // File.Delete succeeds when the file is already gone.
        File.Delete(PathOf(digest));
        return Task.CompletedTask;
    }

    private static FileStream OpenForReading(string path) =>
        new(path, new FileStreamOptions
        {
            Mode = FileMode.Open,
            Access = FileAccess.Read,
            Share = FileShare.Read | FileShare.Delete,
            Options = FileOptions.Asynchronous | FileOptions.SequentialScan,
            BufferSize = 0,
        });
}
