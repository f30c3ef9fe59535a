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
        foreach (var key in await ListKeysAsync(bucketName, ""))
            await client.RemoveObjectAsync(new RemoveObjectArgs().WithBucket(bucketName).WithObject(key), Ct);
    }

    /// <summary>
    /// The bucket's keys from s3rver's own listing, read by element name: s3rver answers in the namespace
    /// "http://doc.s3.amazonaws.com/2006-03-01/", which the MinIO SDK's listing does not parse (it yields no objects).
    /// </summary>
    private static async Task<List<string>> ListKeysAsync(string bucketName, string prefix)
    {
        using var http = new HttpClient { BaseAddress = new Uri(TestEnvironment.S3Url.TrimEnd('/') + "/") };
        var keys = new List<string>();
        var marker = "";
        while (true)
        {
            var xml = System.Xml.Linq.XDocument.Parse(await http.GetStringAsync(
                $"{bucketName}?prefix={Uri.EscapeDataString(prefix)}&marker={Uri.EscapeDataString(marker)}", Ct));
            var page = xml.Descendants().Where(e => e.Name.LocalName == "Key").Select(e => e.Value).ToList();
            keys.AddRange(page);
            var truncated = xml.Descendants().FirstOrDefault(e => e.Name.LocalName == "IsTruncated")?.Value == "true";
            if (!truncated || page.Count == 0) return keys;
            marker = page[^1];
        }
    }

    protected override async Task<int> CountStoredBlobsAsync() => (await ListKeysAsync(bucket.Bucket, "sha256/")).Count;

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
