namespace Platform.Api.Packages;

/// <summary>Thrown when an upload passes the size limit while it is being read.</summary>
public sealed class UploadTooLargeException(long limit) : Exception($"upload exceeds {limit} bytes")
{
    public long Limit { get; } = limit;
}

/// <summary>
/// Copies a request body to a temporary file, counting bytes as they arrive so that an oversized
/// upload is refused as soon as it passes the limit, not after it has filled the disk.
/// </summary>
public static class UploadSpooler
{
    /// <summary>Copies <paramref name="body"/> to <paramref name="path"/>; returns the byte count.</summary>
    /// <exception cref="UploadTooLargeException">more than <paramref name="limit"/> bytes arrived.</exception>
    public static async Task<long> SpoolAsync(Stream body, string path, long limit, CancellationToken ct)
    {
        var options = new FileStreamOptions
        {
            Mode = FileMode.CreateNew,
            Access = FileAccess.Write,
            Options = FileOptions.Asynchronous,
        };
        if (!OperatingSystem.IsWindows())
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        await using var file = new FileStream(path, options);
        var buffer = new byte[81920];
        long total = 0;
        int read;
        while ((read = await body.ReadAsync(buffer, ct)) > 0)
        {
            total += read;
            if (total > limit)
                throw new UploadTooLargeException(limit);
            await file.WriteAsync(buffer.AsMemory(0, read), ct);
        }
        return total;
    }
}
