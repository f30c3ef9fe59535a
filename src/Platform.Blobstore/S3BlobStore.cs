using System.Net;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;

namespace Platform.Blobstore;

/// <summary>
/// Blobs as objects "sha256/&lt;hex&gt;" in one bucket of an S3-compatible server (path-style addressing).
/// The digest is the key, so it must be known before the PUT: a stream is spooled to a temporary file
/// while it is hashed, then uploaded (in parts when big) unless the object already exists.
/// </summary>
public sealed class S3BlobStore : IBlobStore, IDisposable
{
    private readonly IAmazonS3 _s3;
    private readonly S3BlobstoreOptions _options;
    private readonly SemaphoreSlim _bucketLock = new(1, 1);
    private volatile bool _bucketReady;

    /// <summary>S3's smallest allowed part (all but the last).</summary>
    private const long MinimumPartSize = 5 * 1024 * 1024;

    public S3BlobStore(S3BlobstoreOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (string.IsNullOrWhiteSpace(options.ServiceUrl))
            throw new ArgumentException("Blobstore:S3:ServiceUrl is required for an S3 blobstore", nameof(options));
        if (string.IsNullOrWhiteSpace(options.Bucket))
            throw new ArgumentException("Blobstore:S3:Bucket is required for an S3 blobstore", nameof(options));
        _options = options;
        _s3 = new AmazonS3Client(
            new BasicAWSCredentials(options.AccessKey, options.SecretKey),
            CreateConfig(options));
    }

    public string Bucket => _options.Bucket;

    /// <summary>The client this store uses, for tools and tests that need to reach the bucket directly.</summary>
    public IAmazonS3 Client => _s3;

    private static AmazonS3Config CreateConfig(S3BlobstoreOptions options) => new()
    {
        ServiceURL = options.ServiceUrl,
        ForcePathStyle = true,
        AuthenticationRegion = options.Region,
        // Newer SDKs add CRC checksums (and aws-chunked trailers) to every request; S3-compatible servers
        // such as s3rver do not understand them. The content is verified by its sha256 digest anyway.
        RequestChecksumCalculation = RequestChecksumCalculation.WHEN_REQUIRED,
        ResponseChecksumValidation = ResponseChecksumValidation.WHEN_REQUIRED,
    };

    /// <summary>Creates the bucket when it is missing. Called before the first operation; safe to call again.</summary>
    public async Task EnsureBucketAsync(CancellationToken cancellationToken)
    {
        if (_bucketReady) return;
        await _bucketLock.WaitAsync(cancellationToken);
        try
        {
            if (_bucketReady) return;
            try
            {
                await _s3.PutBucketAsync(new PutBucketRequest { BucketName = _options.Bucket }, cancellationToken);
            }
            catch (AmazonS3Exception e) when (e.ErrorCode is "BucketAlreadyOwnedByYou" or "BucketAlreadyExists")
            {
                // Already there: what we wanted.
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

        if (info.Size >= _options.MultipartThresholdBytes)
        {
            await UploadInPartsAsync(path, key, info.Size, cancellationToken);
            return;
        }
        await _s3.PutObjectAsync(new PutObjectRequest
        {
            BucketName = _options.Bucket,
            Key = key,
            FilePath = path,
            ContentType = "application/octet-stream",
            // aws-chunked bodies are stored verbatim (signatures and all) by servers that do not decode them.
            UseChunkEncoding = false,
        }, cancellationToken);
    }

    /// <summary>
    /// A multipart upload driven part by part rather than through TransferUtility: TransferUtility offers no
    /// way to turn off aws-chunked encoding of its parts over plain HTTP, and S3-compatible servers such as
    /// s3rver then store the chunk signatures as part of the object.
    /// </summary>
    private async Task UploadInPartsAsync(string path, string key, long size, CancellationToken cancellationToken)
    {
        var partSize = Math.Max(MinimumPartSize, _options.MultipartPartSizeBytes);
        var started = await _s3.InitiateMultipartUploadAsync(new InitiateMultipartUploadRequest
        {
            BucketName = _options.Bucket,
            Key = key,
            ContentType = "application/octet-stream",
        }, cancellationToken);
        try
        {
            var parts = new List<PartETag>();
            var partNumber = 1;
            for (long position = 0; position < size; position += partSize, partNumber++)
            {
                var uploaded = await _s3.UploadPartAsync(new UploadPartRequest
                {
                    BucketName = _options.Bucket,
                    Key = key,
                    UploadId = started.UploadId,
                    PartNumber = partNumber,
                    FilePath = path,
                    FilePosition = position,
                    PartSize = Math.Min(partSize, size - position),
                    IsLastPart = position + partSize >= size,
                    UseChunkEncoding = false,
                }, cancellationToken);
                parts.Add(new PartETag(partNumber, uploaded.ETag));
            }
            await _s3.CompleteMultipartUploadAsync(new CompleteMultipartUploadRequest
            {
                BucketName = _options.Bucket,
                Key = key,
                UploadId = started.UploadId,
                PartETags = parts,
            }, cancellationToken);
        }
        catch
        {
            // Parts of an abandoned upload cost storage until aborted.
            await _s3.AbortMultipartUploadAsync(_options.Bucket, key, started.UploadId, CancellationToken.None);
            throw;
        }
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
            await _s3.GetObjectMetadataAsync(_options.Bucket, key, cancellationToken);
            return true;
        }
        catch (AmazonS3Exception e) when (e.StatusCode == HttpStatusCode.NotFound)
        {
            return false;
        }
    }

    public async Task<Stream> OpenReadAsync(string digest, CancellationToken cancellationToken)
    {
        var key = BlobDigest.StorageKey(digest);
        await EnsureBucketAsync(cancellationToken);
        GetObjectResponse response;
        try
        {
            response = await _s3.GetObjectAsync(_options.Bucket, key, cancellationToken);
        }
        catch (AmazonS3Exception e) when (e.StatusCode == HttpStatusCode.NotFound)
        {
            throw new BlobNotFoundException(digest);
        }
        // Streams straight from the HTTP response; disposing the stream releases the response.
        return new ResponseOwningStream(response.ResponseStream, response);
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
        await _s3.DeleteObjectAsync(_options.Bucket, key, cancellationToken);
    }

    public void Dispose()
    {
        _s3.Dispose();
        _bucketLock.Dispose();
    }
}
