using Platform.Blobstore;

namespace Platform.Blobstore.Tests;

public sealed class DirectoryBlobStoreTests : BlobStoreContractTests
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "blobstore-dir-" + Guid.NewGuid().ToString("N"));
    private DirectoryBlobStore _store = null!;

    protected override Task<IBlobStore> CreateStoreAsync()
    {
        _store = new DirectoryBlobStore(_root);
        return Task.FromResult<IBlobStore>(_store);
    }

    // Temporary files start with '.', so anything else in sha256/ is a blob.
    protected override Task<int> CountStoredBlobsAsync() =>
        Task.FromResult(Directory.GetFiles(Path.Combine(_root, "sha256"))
            .Count(f => !Path.GetFileName(f).StartsWith('.')));

    protected override Task TamperAsync(string digest, byte[] replacement) =>
        File.WriteAllBytesAsync(_store.PathOf(digest), replacement);

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        Directory.Delete(_root, recursive: true);
    }

    [Fact]
    public async Task Blobs_live_under_sha256_hex_and_no_temporary_file_remains()
    {
        var info = await Store.PutAsync(new MemoryStream([1, 2, 3]), Ct);

        var files = Directory.GetFiles(Path.Combine(_root, "sha256"));
        Assert.Equal([Path.Combine(_root, "sha256", info.Digest["sha256:".Length..])], files);
    }
}
