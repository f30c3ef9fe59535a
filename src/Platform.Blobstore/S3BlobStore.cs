using System.IO.Pipelines;
using Minio;
using Minio.DataModel.Args;
using Minio.Exceptions;

namespace Platform.Blobstore;

/// <summary>
/// Blobs as objects "sha256/&lt;hex&gt;" in one bucket of an S3-compatible server (MinIO, s3rver, AWS), through the
/// MinIO .NET SDK (path-style addressing). The digest is the key, so it must be known before the PUT: a stream is
/// spooled to a temporary file while it is hashed, then uploaded (the SDK uploads big files in parts) unless the
/// object already exists.
/// </summary>
public sealed class S3BlobStore : IBlobStore, IDisposable
{
    private readonly IMinioClient _s3;
    private readonly S3BlobstoreOptions _options;
    private readonly SemaphoreSlim _bucketLock = new(1, 1);
    private volatile bool _bucketReady;

    public S3BlobStore(S3BlobstoreOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (string.IsNullOrWhiteSpace(options.ServiceUrl))
            throw new ArgumentException("Blobstore:S3:ServiceUrl is required for an S3 blobstore", nameof(options));
        if (string.IsNullOrWhiteSpace(options.Bucket))
            throw new ArgumentException("Blobstore:S3:Bucket is required for an S3 blobstore", nameof(options));
        if (!Uri.TryCreate(options.ServiceUrl, UriKind.Absolute, out var url) || url.Scheme is not ("http" or "https"))
            throw new ArgumentException($"Blobstore:S3:ServiceUrl '{options.ServiceUrl}' is not an http(s) URL", nameof(options));
        _options = options;
        _s3 = new MinioClient()
            .WithEndpoint(url.Host, url.Port)
            .WithCredentials(options.AccessKey, options.SecretKey)
            .WithRegion(options.Region)
            .WithSSL(url.Scheme == "https")
            .Build();
    }

    public string Bucket => _options.Bucket;

    /// <summary>The client this store uses, for tools and tests that need to reach the bucket directly.</summary>
    public IMinioClient Client => _s3;

    /// <summary>Creates the bucket when it is missing. Called before the first operation; safe to call again.</summary>
    public async Task EnsureBucketAsync(CancellationToken cancellationToken)
    {
        if (_bucketReady) return;
        await _bucketLock.WaitAsync(cancellationToken);
        try
        {
            if (_bucketReady) return;
            if (!await _s3.BucketExistsAsync(new BucketExistsArgs().WithBucket(_options.Bucket), cancellationToken))
            {
                try
                {
                    await _s3.MakeBucketAsync(new MakeBucketArgs().WithBucket(_options.Bucket).WithLocation(_options.Region), cancellationToken);
                }
                catch (MinioException)
                {
                    // Another process may have made it meanwhile: what we wanted.
                    if (!await _s3.BucketExistsAsync(new BucketExistsArgs().WithBucket(_options.Bucket), cancellationToken)) throw;
                }
            }
            _bucketReady = true;
        }
        finally
        {
            _bucketLock.Release();
        }
    }

    public async Task<BlobInfo> PutAsync(Stream content, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(content);
        var spoolDirectory = string.IsNullOrEmpty(_options.SpoolDirectory) ? Path.GetTempPath() : _options.SpoolDirectory;
        Directory.CreateDirectory(spoolDirectory);
        var spool = Path.Combine(spoolDirectory, $"platform-blob-{Guid.NewGuid():N}.spool");
        try
        {
            var info = await HashingCopy.ToFileAsync(content, spool, cancellationToken);
            await UploadUnlessPresentAsync(spool, info, cancellationToken);
            return info;
        }
        finally
        {
            HashingCopy.TryDelete(spool);
        }
    }

    public async Task<BlobInfo> PutFileAsync(string path, CancellationToken cancellationToken)
    {
        // A file can be read twice (to hash, then to upload), so it needs no spool copy.
        string digest;
        await using (var file = File.OpenRead(path))
            digest = await BlobDigest.ComputeAsync(file, cancellationToken);
        var info = new BlobInfo(digest, new FileInfo(path).Length);
        await UploadUnlessPresentAsync(path, info, cancellationToken);
        return info;
    }

    private async Task UploadUnlessPresentAsync(string path, BlobInfo info, CancellationToken cancellationToken)
    {
        await EnsureBucketAsync(cancellationToken);
        var key = BlobDigest.StorageKey(info.Digest);
        if (await ObjectExistsAsync(key, cancellationToken)) return;
        await using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, useAsync: true);
        await _s3.PutObjectAsync(new PutObjectArgs()
            .WithBucket(_options.Bucket)
            .WithObject(key)
            .WithStreamData(file)
            .WithObjectSize(info.Size)
            .WithContentType("application/octet-stream"), cancellationToken);
    }

    public async Task<bool> ExistsAsync(string digest, CancellationToken cancellationToken)
    {
        var key = BlobDigest.StorageKey(digest);
        await EnsureBucketAsync(cancellationToken);
        return await ObjectExistsAsync(key, cancellationToken);
    }

    private async Task<bool> ObjectExistsAsync(string key, CancellationToken cancellationToken)
    {
        try
        {
            await _s3.StatObjectAsync(new StatObjectArgs().WithBucket(_options.Bucket).WithObject(key), cancellationToken);
            return true;
        }
        catch (ObjectNotFoundException)
        {
            return false;
        }
    }

    /// <summary>
    /// Streams the object as the SDK reads it: the SDK hands the response body to a callback only, so the callback
    /// writes into a pipe whose other end the caller reads (the download runs as the caller reads, and a failure midway
    /// surfaces as an exception from the stream's read).
    /// </summary>
    public async Task<Stream> OpenReadAsync(string digest, CancellationToken cancellationToken)
    {
        var key = BlobDigest.StorageKey(digest);
        await EnsureBucketAsync(cancellationToken);
        if (!await ObjectExistsAsync(key, cancellationToken)) throw new BlobNotFoundException(digest);
        var pipe = new Pipe(new PipeOptions(pauseWriterThreshold: 1 << 20, resumeWriterThreshold: 1 << 19));
        var reader = pipe.Reader.AsStream();
        _ = Task.Run(async () =>
        {
            try
            {
                await _s3.GetObjectAsync(new GetObjectArgs()
                    .WithBucket(_options.Bucket)
                    .WithObject(key)
                    .WithCallbackStream(async (body, ct) =>
                    {
                        await body.CopyToAsync(pipe.Writer, ct);
                    }), cancellationToken);
                await pipe.Writer.CompleteAsync();
            }
            catch (ObjectNotFoundException)
            {
                await pipe.Writer.CompleteAsync(new BlobNotFoundException(digest));
            }
            catch (Exception e)
            {
                await pipe.Writer.CompleteAsync(e);
            }
        }, CancellationToken.None);
        return reader;
    }

    public async Task DownloadToFileAsync(string digest, string path, CancellationToken cancellationToken)
    {
        await using var source = await OpenReadAsync(digest, cancellationToken);
        await HashingCopy.VerifiedDownloadAsync(source, digest, path, cancellationToken);
    }

    public async Task DeleteAsync(string digest, CancellationToken cancellationToken)
    {
        var key = BlobDigest.StorageKey(digest);
        await EnsureBucketAsync(cancellationToken);
        // S3 answers a delete of a missing key with success.
        await _s3.RemoveObjectAsync(new RemoveObjectArgs().WithBucket(_options.Bucket).WithObject(key), cancellationToken);
    }

    public void Dispose()
    {
        _s3.Dispose();
        _bucketLock.Dispose();
    }
}
