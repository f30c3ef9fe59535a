using Amazon.S3.Model;
using Platform.Blobstore;
using Platform.TestSupport;

namespace Platform.Blobstore.Tests;

/// <summary>One bucket for all tests of the S3 class (each test empties it first); deleted afterwards.</summary>
public sealed class S3BucketFixture : IAsyncLifetime
{
    public string Bucket { get; } = TestS3.NewBucketName("blob-test");

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        using var store = S3BlobStoreTests.CreateStore(Bucket);
        await S3BlobStoreTests.EmptyBucketAsync(store.Client, Bucket);
        await store.Client.DeleteBucketAsync(Bucket);
    }
}

/// <summary>Runs the contract against the real s3rver at PLATFORM_TEST_S3_URL.</summary>
public sealed class S3BlobStoreTests(S3BucketFixture bucket) : BlobStoreContractTests, IClassFixture<S3BucketFixture>
{
    private S3BlobStore _store = null!;

    protected override async Task<IBlobStore> CreateStoreAsync()
    {
        _store = CreateStore(bucket.Bucket);
        await _store.EnsureBucketAsync(Ct);
        await EmptyBucketAsync(_store.Client, bucket.Bucket);
        return _store;
    }

    internal static S3BlobStore CreateStore(string bucketName) => new(new S3BlobstoreOptions
    {
        ServiceUrl = TestEnvironment.S3Url,
        Bucket = bucketName,
        AccessKey = TestS3.AccessKey,
        SecretKey = TestS3.SecretKey,
        Region = TestS3.Region,
        // Small enough that the 20 MB test goes through the multipart path (three 8 MiB parts).
        MultipartThresholdBytes = 8 * 1024 * 1024,
    });

    internal static async Task EmptyBucketAsync(Amazon.S3.IAmazonS3 client, string bucketName)
    {
        var listing = await client.ListObjectsV2Async(new ListObjectsV2Request { BucketName = bucketName }, Ct);
        foreach (var o in listing.S3Objects ?? [])
            await client.DeleteObjectAsync(bucketName, o.Key, Ct);
    }

    protected override async Task<int> CountStoredBlobsAsync()
    {
        var listing = await _store.Client.ListObjectsV2Async(
            new ListObjectsV2Request { BucketName = bucket.Bucket, Prefix = "sha256/" }, Ct);
        return listing.S3Objects?.Count ?? 0;
    }

    protected override Task TamperAsync(string digest, byte[] replacement) =>
        _store.Client.PutObjectAsync(new PutObjectRequest
        {
            BucketName = bucket.Bucket,
            Key = BlobDigest.StorageKey(digest),
            InputStream = new MemoryStream(replacement),
            UseChunkEncoding = false,
        }, Ct);

    [Fact]
    public async Task Objects_are_keyed_sha256_slash_hex()
    {
        var info = await Store.PutAsync(new MemoryStream([4, 5, 6]), Ct);

        var metadata = await _store.Client.GetObjectMetadataAsync(bucket.Bucket, "sha256/" + info.Digest[7..], Ct);
        Assert.Equal(3, metadata.ContentLength);
    }

    [Fact]
    public async Task A_missing_bucket_is_created_at_start()
    {
        var fresh = TestS3.NewBucketName("blob-fresh");
        using var store = new S3BlobStore(new S3BlobstoreOptions
        {
            ServiceUrl = TestEnvironment.S3Url, Bucket = fresh, AccessKey = TestS3.AccessKey, SecretKey = TestS3.SecretKey,
        });

        var info = await store.PutAsync(new MemoryStream([7]), Ct);

        Assert.True(await store.ExistsAsync(info.Digest, Ct));
        await store.DeleteAsync(info.Digest, Ct);
        await store.Client.DeleteBucketAsync(fresh, Ct);
    }
}
