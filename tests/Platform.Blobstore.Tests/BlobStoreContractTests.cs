using System.Security.Cryptography;
using System.Text;
using Platform.Blobstore;

namespace Platform.Blobstore.Tests;

/// <summary>
/// The behaviour every <see cref="IBlobStore"/> must have, run against each implementation by a subclass
/// that says how to reach the stored bytes behind the store's back (to count and tamper with them).
/// </summary>
public abstract class BlobStoreContractTests : IAsyncLifetime
{
    protected IBlobStore Store { get; private set; } = null!;
    private readonly string _scratch = Directory.CreateTempSubdirectory("blob-test-").FullName;
    protected static CancellationToken Ct => TestContext.Ct;

    protected abstract Task<IBlobStore> CreateStoreAsync();

    /// <summary>How many blobs the backing storage holds.</summary>
    protected abstract Task<int> CountStoredBlobsAsync();

    /// <summary>Overwrites the stored bytes of a blob without going through the store.</summary>
    protected abstract Task TamperAsync(string digest, byte[] replacement);

    public async Task InitializeAsync() => Store = await CreateStoreAsync();

    public virtual Task DisposeAsync()
    {
        (Store as IDisposable)?.Dispose();
        Directory.Delete(_scratch, recursive: true);
        return Task.CompletedTask;
    }

    private static string DigestOf(byte[] bytes) => "sha256:" + Convert.ToHexStringLower(SHA256.HashData(bytes));

    private string ScratchFile(string name) => Path.Combine(_scratch, name);

    [Fact]
    public async Task Put_then_exists_read_and_download_round_trip()
    {
        var bytes = Encoding.UTF8.GetBytes("hello, blobstore " + Guid.NewGuid());

        var info = await Store.PutAsync(new MemoryStream(bytes), Ct);

        Assert.Equal(DigestOf(bytes), info.Digest);
        Assert.Equal(bytes.Length, info.Size);
        Assert.True(await Store.ExistsAsync(info.Digest, Ct));
        await using (var read = await Store.OpenReadAsync(info.Digest, Ct))
        {
            var copy = new MemoryStream();
            await read.CopyToAsync(copy, Ct);
            Assert.Equal(bytes, copy.ToArray());
        }
        var target = ScratchFile("nested/dir/out.bin");
        await Store.DownloadToFileAsync(info.Digest, target, Ct);
        Assert.Equal(bytes, await File.ReadAllBytesAsync(target, Ct));
        Assert.Single(Directory.GetFiles(Path.GetDirectoryName(target)!)); // no leftover temporary file
    }

    [Fact]
    public async Task PutFile_stores_the_file_under_its_digest()
    {
        var bytes = RandomNumberGenerator.GetBytes(100_000);
        var source = ScratchFile("source.bin");
        await File.WriteAllBytesAsync(source, bytes, Ct);

        var info = await Store.PutFileAsync(source, Ct);

        Assert.Equal(new BlobInfo(DigestOf(bytes), bytes.Length), info);
        var target = ScratchFile("copy.bin");
        await Store.DownloadToFileAsync(info.Digest, target, Ct);
        Assert.Equal(bytes, await File.ReadAllBytesAsync(target, Ct));
    }

    [Fact]
    public async Task Equal_content_is_stored_once()
    {
        var bytes = RandomNumberGenerator.GetBytes(4096);

        var first = await Store.PutAsync(new MemoryStream(bytes), Ct);
        var second = await Store.PutAsync(new MemoryStream(bytes), Ct);

        Assert.Equal(first, second);
        Assert.Equal(1, await CountStoredBlobsAsync());
    }

    [Fact]
    public async Task Empty_content_is_a_valid_blob()
    {
        var info = await Store.PutAsync(new MemoryStream(), Ct);

        Assert.Equal(DigestOf([]), info.Digest);
        Assert.Equal(0, info.Size);
        var target = ScratchFile("empty.bin");
        await Store.DownloadToFileAsync(info.Digest, target, Ct);
        Assert.Empty(await File.ReadAllBytesAsync(target, Ct));
    }

    [Fact]
    public async Task Absent_blob_is_not_found()
    {
        var absent = DigestOf(Encoding.UTF8.GetBytes("never stored " + Guid.NewGuid()));

        Assert.False(await Store.ExistsAsync(absent, Ct));
        var open = await Assert.ThrowsAsync<BlobNotFoundException>(() => Store.OpenReadAsync(absent, Ct));
        Assert.Equal(absent, open.Digest);
        var target = ScratchFile("absent.bin");
        await Assert.ThrowsAsync<BlobNotFoundException>(() => Store.DownloadToFileAsync(absent, target, Ct));
        Assert.False(File.Exists(target));
    }

    [Fact]
    public async Task Corrupt_blob_is_detected_on_download_and_leaves_no_file()
    {
        var bytes = RandomNumberGenerator.GetBytes(50_000);
        var info = await Store.PutAsync(new MemoryStream(bytes), Ct);
        var tampered = (byte[])bytes.Clone();
        tampered[12_345] ^= 0xff;
        await TamperAsync(info.Digest, tampered);

        var target = ScratchFile("corrupt.bin");
        var error = await Assert.ThrowsAsync<BlobCorruptException>(() => Store.DownloadToFileAsync(info.Digest, target, Ct));

        Assert.Equal(info.Digest, error.Digest);
        Assert.Equal(DigestOf(tampered), error.ActualDigest);
        Assert.False(File.Exists(target));
        Assert.Empty(Directory.GetFiles(_scratch));
    }

    [Fact]
    public async Task Corrupt_download_does_not_replace_an_existing_file()
    {
        var info = await Store.PutAsync(new MemoryStream(Encoding.UTF8.GetBytes("good " + Guid.NewGuid())), Ct);
        await TamperAsync(info.Digest, Encoding.UTF8.GetBytes("evil"));
        var target = ScratchFile("existing.bin");
        await File.WriteAllTextAsync(target, "previous content", Ct);

        await Assert.ThrowsAsync<BlobCorruptException>(() => Store.DownloadToFileAsync(info.Digest, target, Ct));

        Assert.Equal("previous content", await File.ReadAllTextAsync(target, Ct));
    }

    public static TheoryData<string> InvalidDigests => new()
    {
        "",
        "sha256:",
        "sha256:../../../../etc/passwd",
        "sha256:" + new string('A', 64),
        "sha256:" + new string('a', 63),
        "sha256:" + new string('a', 65),
        "sha256:" + new string('a', 62) + "/x",
        "sha512:" + new string('a', 64),
        new string('a', 64),
        "sha256/" + new string('a', 64),
    };

    [Theory]
    [MemberData(nameof(InvalidDigests))]
    public async Task Invalid_digest_is_rejected_by_every_operation(string digest)
    {
        await Assert.ThrowsAsync<ArgumentException>(() => Store.ExistsAsync(digest, Ct));
        await Assert.ThrowsAsync<ArgumentException>(() => Store.OpenReadAsync(digest, Ct));
        await Assert.ThrowsAsync<ArgumentException>(() => Store.DownloadToFileAsync(digest, ScratchFile("x"), Ct));
        await Assert.ThrowsAsync<ArgumentException>(() => Store.DeleteAsync(digest, Ct));
    }

    [Fact]
    public async Task Delete_removes_the_blob_and_is_idempotent()
    {
        var info = await Store.PutAsync(new MemoryStream(RandomNumberGenerator.GetBytes(1000)), Ct);

        await Store.DeleteAsync(info.Digest, Ct);
        Assert.False(await Store.ExistsAsync(info.Digest, Ct));
        await Store.DeleteAsync(info.Digest, Ct);

        Assert.False(await Store.ExistsAsync(info.Digest, Ct));
        Assert.Equal(0, await CountStoredBlobsAsync());
    }

    [Fact]
    public async Task A_20_MB_blob_round_trips()
    {
        var bytes = RandomNumberGenerator.GetBytes(20 * 1024 * 1024);

        var info = await Store.PutAsync(new MemoryStream(bytes), Ct);

        Assert.Equal(new BlobInfo(DigestOf(bytes), bytes.Length), info);
        var target = ScratchFile("big.bin");
        await Store.DownloadToFileAsync(info.Digest, target, Ct);
        Assert.Equal(info.Digest, DigestOf(await File.ReadAllBytesAsync(target, Ct)));
        await using var read = await Store.OpenReadAsync(info.Digest, Ct);
        Assert.Equal(info.Digest, await BlobDigest.ComputeAsync(read, Ct));
    }

    [Fact]
    public async Task Concurrent_puts_of_equal_content_agree()
    {
        var bytes = RandomNumberGenerator.GetBytes(300_000);

        var results = await Task.WhenAll(Enumerable.Range(0, 4)
            .Select(_ => Task.Run(() => Store.PutAsync(new MemoryStream(bytes), Ct))));

        Assert.All(results, r => Assert.Equal(DigestOf(bytes), r.Digest));
        Assert.Equal(1, await CountStoredBlobsAsync());
        var target = ScratchFile("concurrent.bin");
        await Store.DownloadToFileAsync(results[0].Digest, target, Ct);
        Assert.Equal(bytes, await File.ReadAllBytesAsync(target, Ct));
    }
}

internal static class TestContext
{
    /// <summary>A generous bound so a hung server fails the test instead of hanging the run.</summary>
    public static CancellationToken Ct => new CancellationTokenSource(TimeSpan.FromMinutes(2)).Token;
}
