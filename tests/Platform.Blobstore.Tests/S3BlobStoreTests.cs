using Minio;
using Minio.DataModel.Args;
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
        await store.Client.RemoveBucketAsync(new RemoveBucketArgs().WithBucket(Bucket));
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
    });

    internal static async Task EmptyBucketAsync(IMinioClient client, string bucketName)
    {
        var keys = new List<string>();
        await foreach (var o in client.ListObjectsEnumAsync(new ListObjectsArgs().WithBucket(bucketName).WithRecursive(true), Ct))
            keys.Add(o.Key);
        foreach (var key in keys)
            await client.RemoveObjectAsync(new RemoveObjectArgs().WithBucket(bucketName).WithObject(key), Ct);
    }

    protected override async Task<int> CountStoredBlobsAsync()
    {
        var count = 0;
        await foreach (var _ in _store.Client.ListObjectsEnumAsync(
                           new ListObjectsArgs().WithBucket(bucket.Bucket).WithPrefix("sha256/").WithRecursive(true), Ct))
            count++;
        return count;
    }

    protected override async Task TamperAsync(string digest, byte[] replacement)
    {
        using var body = new MemoryStream(replacement);
        await _store.Client.PutObjectAsync(new PutObjectArgs().WithBucket(bucket.Bucket).WithObject(BlobDigest.StorageKey(digest))
            .WithStreamData(body).WithObjectSize(replacement.Length), Ct);
    }

    [Fact]
    public async Task Objects_are_keyed_sha256_slash_hex()
    {
        var info = await Store.PutAsync(new MemoryStream([4, 5, 6]), Ct);

        var metadata = await _store.Client.StatObjectAsync(
            new StatObjectArgs().WithBucket(bucket.Bucket).WithObject("sha256/" + info.Digest[7..]), Ct);
        Assert.Equal(3, metadata.Size);
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
        await store.Client.RemoveBucketAsync(new RemoveBucketArgs().WithBucket(fresh), Ct);
    }
}
