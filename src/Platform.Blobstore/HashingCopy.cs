using System.Buffers;
using System.Security.Cryptography;

namespace Platform.Blobstore;

/// <summary>Copies a stream to a file while hashing it, so a blob is read once to both store and name it.</summary>
internal static class HashingCopy
{
    private const int BufferSize = 1 << 20;

    /// <summary>
    /// Writes <paramref name="source"/> to a new file at <paramref name="path"/>, flushes it to disk (fsync)
    /// and returns the digest and length of what was written.
    /// </summary>
    public static async Task<BlobInfo> ToFileAsync(Stream source, string path, CancellationToken cancellationToken)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = ArrayPool<byte>.Shared.Rent(BufferSize);
        long size = 0;
        try
        {
            await using var file = new FileStream(path, new FileStreamOptions
            {
                Mode = FileMode.CreateNew,
                Access = FileAccess.Write,
                Share = FileShare.None,
                Options = FileOptions.Asynchronous,
                BufferSize = 0,
            });
            int read;
            while ((read = await source.ReadAsync(buffer.AsMemory(0, BufferSize), cancellationToken)) > 0)
            {
                hash.AppendData(buffer, 0, read);
                await file.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
                size += read;
            }
            // Durable before anyone can see it under its final name.
            file.Flush(flushToDisk: true);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
        return new BlobInfo(BlobDigest.FromHash(hash.GetHashAndReset()), size);
    }

    /// <summary>
    /// Copies a blob's bytes to <paramref name="path"/> and checks they hash to <paramref name="digest"/>.
    /// The bytes go to a temporary sibling that is renamed into place only when they verify, so
    /// <paramref name="path"/> never holds a partial or wrong blob; on a mismatch the temporary file is
    /// deleted and <see cref="BlobCorruptException"/> thrown.
    /// </summary>
    public static async Task VerifiedDownloadAsync(
        Stream source, string digest, string path, CancellationToken cancellationToken)
    {
        var full = Path.GetFullPath(path);
        var directory = Path.GetDirectoryName(full)!;
        Directory.CreateDirectory(directory);
        var partial = Path.Combine(directory, $".{Path.GetFileName(full)}.{Guid.NewGuid():N}.partial");
        try
        {
            var written = await ToFileAsync(source, partial, cancellationToken);
            if (written.Digest != digest) throw new BlobCorruptException(digest, written.Digest);
            File.Move(partial, full, overwrite: true);
        }
        catch
        {
            TryDelete(partial);
            throw;
        }
    }

    public static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (IOException)
        {
            // A leftover temporary file is harmless; the original error matters more.
        }
    }
}
