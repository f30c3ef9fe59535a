using System.Collections.Concurrent;
using System.IO.Compression;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Platform.Sandbox.Layers;

/// <summary>
/// Layers unpacked once per digest into Directory/&lt;hex&gt;, ready to be overlay lower dirs. An unpack goes to a
/// temporary directory and is renamed into place only after the sha256 of the compressed bytes matched, so a
/// layer directory is always complete and verified; concurrent callers for one digest share one unpack.
/// </summary>
public sealed class LayerCache
{
    private const string TempPrefix = ".tmp-";
    private readonly ILogger _logger;
    private readonly ConcurrentDictionary<string, Lazy<Task<string>>> _unpacking = new(StringComparer.Ordinal);

    public LayerCache(string directory, ILogger<LayerCache>? logger = null)
    {
        if (!Path.IsPathFullyQualified(directory)) throw new ArgumentException($"layer cache directory must be absolute: {directory}", nameof(directory));
        Directory = directory;
        _logger = (ILogger?)logger ?? NullLogger.Instance;
        System.IO.Directory.CreateDirectory(directory);
        RemoveStaleTemporaries(TimeSpan.FromHours(1));
    }

    public string Directory { get; }

    /// <summary>Where the layer with this digest is (or would be) unpacked.</summary>
    public string PathFor(string digest) => Path.Combine(Directory, Digest.Hex(digest));

    public bool Contains(string digest) => System.IO.Directory.Exists(PathFor(digest));

    /// <summary>
    /// Returns the directory of the layer, unpacking it first if needed from the gzip'd tar that
    /// <paramref name="openCompressed"/> opens. Throws InvalidDataException when the bytes do not match the
    /// digest or the tar holds an entry that would escape the layer; nothing is left behind then.
    /// </summary>
    public async Task<string> GetAsync(string digest, Func<CancellationToken, Task<Stream>> openCompressed, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(openCompressed);
        var path = PathFor(digest);
        if (System.IO.Directory.Exists(path)) return path;
        // One unpack per digest; it is not tied to one caller's token, so a caller giving up does not fail the others.
        var lazy = _unpacking.GetOrAdd(digest, d => new Lazy<Task<string>>(() => UnpackAsync(d, path, openCompressed)));
        try
        {
            return await lazy.Value.WaitAsync(cancellationToken);
        }
        finally
        {
            if (lazy.Value.IsCompleted) _unpacking.TryRemove(new KeyValuePair<string, Lazy<Task<string>>>(digest, lazy));
        }
    }

    private async Task<string> UnpackAsync(string digest, string path, Func<CancellationToken, Task<Stream>> openCompressed)
    {
        await Task.Yield();
        var temp = Path.Combine(Directory, $"{TempPrefix}{Digest.Hex(digest)[..16]}-{Guid.NewGuid():N}");
        System.IO.Directory.CreateDirectory(temp);
        if (Native.Libc.Chmod(temp, 0x1ED) != 0) throw Native.Libc.Failure("chmod", temp); // 0755: the layer root is the container's "/"
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        try
        {
            long compressedBytes;
            string actual;
            await using (var compressed = await openCompressed(CancellationToken.None))
            {
                (actual, compressedBytes) = await Task.Run(() => Extract(compressed, temp));
            }
            if (actual != digest)
                throw new InvalidDataException($"layer {digest} does not match its content: the bytes read hash to {actual}");
            try
            {
                System.IO.Directory.Move(temp, path);
            }
            catch (IOException) when (System.IO.Directory.Exists(path))
            {
                DeleteQuietly(temp); // another process unpacked the same layer first: same content
            }
            _logger.LogInformation("Unpacked layer {Digest} ({Bytes} compressed bytes) in {Elapsed}", digest, compressedBytes,
                System.Diagnostics.Stopwatch.GetElapsedTime(started));
            return path;
        }
        catch
        {
            DeleteQuietly(temp);
            throw;
        }
    }

    private static (string Digest, long Bytes) Extract(Stream compressed, string target)
    {
        using var buffered = new BufferedStream(compressed, 1 << 16);
        using var hashing = new HashingStream(buffered, leaveOpen: true);
        using (var gzip = new GZipStream(hashing, CompressionMode.Decompress, leaveOpen: true))
        {
            new LayerExtractor(target).Extract(gzip, CancellationToken.None);
            gzip.CopyTo(Stream.Null); // the tar's end padding: part of what the digest covers
        }
        hashing.CopyTo(Stream.Null);
        return (hashing.FinishDigest(), hashing.BytesHashed);
    }

    /// <summary>Removes a layer's directory (the caller makes sure no container uses it).</summary>
    public void Remove(string digest)
    {
        var path = PathFor(digest);
        if (!System.IO.Directory.Exists(path)) return;
        // Rename first so a half-deleted layer can never be mistaken for a complete one.
        var trash = Path.Combine(Directory, $"{TempPrefix}removed-{Guid.NewGuid():N}");
        System.IO.Directory.Move(path, trash);
        System.IO.Directory.Delete(trash, recursive: true);
    }

    private void RemoveStaleTemporaries(TimeSpan age)
    {
        foreach (var dir in System.IO.Directory.EnumerateDirectories(Directory, TempPrefix + "*"))
        {
            if (System.IO.Directory.GetLastWriteTimeUtc(dir) < DateTime.UtcNow - age)
            {
                _logger.LogInformation("Removing stale layer unpack {Directory}", dir);
                DeleteQuietly(dir);
            }
        }
    }

    private void DeleteQuietly(string dir)
    {
        try { System.IO.Directory.Delete(dir, recursive: true); }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            _logger.LogWarning(ex, "Could not remove {Directory}", dir);
        }
    }
}
