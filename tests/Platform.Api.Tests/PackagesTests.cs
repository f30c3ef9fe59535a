using Platform.TestSupport;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using Microsoft.EntityFrameworkCore;
using Platform.Contracts.Api;

namespace Platform.Api.Tests;

[Collection(ApiCollection.Name)]
public sealed class PackagesTests(ApiFixture fixture)
{
    private ApiHost Host => fixture.Host;
    private HttpClient Admin => fixture.Admin;

    private async Task<AppResponse> NewAppAsync()
    {
        var name = "pkg-" + Guid.NewGuid().ToString("N")[..10];
        var resp = await Admin.PostAsJsonAsync(TestSpaces.Default + "/apps", new AppRequest(name));
        resp.EnsureSuccessStatusCode();
        return (await resp.Content.ReadFromJsonAsync<AppResponse>())!;
    }

    private Task<HttpResponseMessage> UploadAsync(string app, byte[] body) =>
        Admin.PutAsync($"{TestSpaces.Default}/apps/{app}/package", new ByteArrayContent(body) { Headers = { ContentType = new("application/zip") } });

    private int BlobCount() =>
        Directory.Exists(Path.Combine(Host.BlobDir, "sha256")) ? Directory.GetFiles(Path.Combine(Host.BlobDir, "sha256")).Length : 0;

    private static int TempUploads() => Directory.GetFiles(Path.GetTempPath(), "platform-upload-*").Length;

    [Fact]
    public async Task A_valid_zip_is_stored_in_the_blobstore_and_recorded()
    {
        var app = await NewAppAsync();
        var zip = Zips.Make([("index.html", "hello"), ("sub/dir/a.txt", "a")], [("link", "sub/dir/a.txt"), ("sub/up", "../index.html")]);
        var resp = await UploadAsync(app.Name, zip);
        Assert.Equal(HttpStatusCode.Created, resp.StatusCode);
        var package = (await resp.Content.ReadFromJsonAsync<PackageResponse>())!;
        Assert.Equal(zip.Length, package.SizeBytes);
        Assert.Equal("sha256:" + Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(zip)), package.Digest);
        Assert.True(File.Exists(Path.Combine(Host.BlobDir, "sha256", package.Digest["sha256:".Length..])));
        await using var db = Host.Db();
        Assert.True(await db.Packages.AnyAsync(p => p.Id == package.Id && p.AppId == app.Id));
        Assert.Equal(0, TempUploads());
    }

    [Fact]
    public async Task An_upload_larger_than_kestrels_30MB_default_is_accepted_under_the_default_limit()
    {
        // A host with the default Api:MaxUploadBytes (1 GiB): the endpoint must lift Kestrel's own limit.
        await using var host = await ApiHost.StartAsync();
        using var admin = await host.AdminClientAsync();
        (await admin.PostAsJsonAsync(TestSpaces.Default + "/apps", new AppRequest("big"))).EnsureSuccessStatusCode();
        var random = new byte[31 * 1024 * 1024];
        Random.Shared.NextBytes(random);
        using var ms = new MemoryStream();
        using (var zip = new System.IO.Compression.ZipArchive(ms, System.IO.Compression.ZipArchiveMode.Create, leaveOpen: true))
        {
            var e = zip.CreateEntry("blob.bin", System.IO.Compression.CompressionLevel.NoCompression);
            using var s = e.Open();
            s.Write(random);
        }
        var resp = await admin.PutAsync(TestSpaces.Default + "/apps/big/package",
            new ByteArrayContent(ms.ToArray()) { Headers = { ContentType = new("application/zip") } });
        Assert.Equal(HttpStatusCode.Created, resp.StatusCode);
        Assert.True((await resp.Content.ReadFromJsonAsync<PackageResponse>())!.SizeBytes > 31 * 1024 * 1024);
    }

    [Fact]
    public async Task An_upload_over_the_limit_is_413_by_content_length_and_writes_nothing()
    {
        var app = await NewAppAsync();
        var blobs = BlobCount();
        var resp = await UploadAsync(app.Name, new byte[ApiFixture.UploadLimit + 1]);
        await ProblemAssert.IsProblemAsync(resp, HttpStatusCode.RequestEntityTooLarge, $"limit of {ApiFixture.UploadLimit} bytes");
        await AssertNothingStoredAsync(app, blobs);
    }

    [Fact]
    public async Task A_chunked_upload_over_the_limit_is_413_while_streaming_and_writes_nothing()
    {
        var app = await NewAppAsync();
        var blobs = BlobCount();
        // No Content-Length: the limit can only be enforced while reading.
        var content = new StreamContent(new UnknownLengthStream(ApiFixture.UploadLimit * 2));
        content.Headers.ContentType = new MediaTypeHeaderValue("application/zip");
        var resp = await Admin.PutAsync($"{TestSpaces.Default}/apps/{app.Name}/package", content);
        await ProblemAssert.IsProblemAsync(resp, HttpStatusCode.RequestEntityTooLarge, "larger than the limit");
        await AssertNothingStoredAsync(app, blobs);
    }

    [Fact]
    public async Task A_corrupt_zip_is_422_and_writes_nothing()
    {
        var app = await NewAppAsync();
        var blobs = BlobCount();
        var resp = await UploadAsync(app.Name, "this is not a zip file at all"u8.ToArray());
        await ProblemAssert.IsProblemAsync(resp, HttpStatusCode.UnprocessableEntity, "not a valid zip");
        await AssertNothingStoredAsync(app, blobs);
    }

    [Fact]
    public async Task A_zip_with_damaged_entry_data_is_422()
    {
        var app = await NewAppAsync();
        var zip = Zips.Make(("a.txt", new string('x', 1000)));
        // Flip a byte inside the compressed data of the (only) entry: the central directory still parses.
        zip[40] ^= 0xFF;
        var resp = await UploadAsync(app.Name, zip);
        await ProblemAssert.IsProblemAsync(resp, HttpStatusCode.UnprocessableEntity, "not a valid zip");
        await AssertNothingStoredAsync(app, BlobCount());
    }

    [Theory]
    [InlineData("../evil.sh", "'..' segment")]
    [InlineData("app/../../evil.sh", "'..' segment")]
    [InlineData("/etc/passwd", "absolute path")]
    [InlineData("\\windows\\evil", "absolute path")]
    [InlineData("C:/evil", "absolute path")]
    public async Task An_entry_that_escapes_the_root_is_422_naming_it(string entry, string detail)
    {
        var app = await NewAppAsync();
        var blobs = BlobCount();
        var resp = await UploadAsync(app.Name, Zips.Make(("ok.txt", "ok"), (entry, "x")));
        var problem = await ProblemAssert.IsProblemAsync(resp, HttpStatusCode.UnprocessableEntity, detail);
        Assert.Contains(entry, problem.Detail);
        await AssertNothingStoredAsync(app, blobs);
    }

    [Theory]
    [InlineData("link", "../../etc/passwd", "points outside the app")]
    [InlineData("a/b/link", "../../../x", "points outside the app")]
    [InlineData("link", "/etc/passwd", "absolute path")]
    public async Task A_symlink_that_points_outside_is_422_naming_it(string entry, string target, string detail)
    {
        var app = await NewAppAsync();
        var blobs = BlobCount();
        var resp = await UploadAsync(app.Name, Zips.Make([("ok.txt", "ok")], [(entry, target)]));
        var problem = await ProblemAssert.IsProblemAsync(resp, HttpStatusCode.UnprocessableEntity, detail);
        Assert.Contains(entry, problem.Detail);
        await AssertNothingStoredAsync(app, blobs);
    }

    [Fact]
    public async Task An_empty_body_is_400()
    {
        var app = await NewAppAsync();
        await ProblemAssert.IsProblemAsync(await UploadAsync(app.Name, []), HttpStatusCode.BadRequest, "empty");
    }

    [Fact]
    public async Task An_upload_to_an_unknown_app_is_404()
    {
        await ProblemAssert.IsProblemAsync(await UploadAsync("no-such-app", Zips.Make(("a", "b"))), HttpStatusCode.NotFound, "app 'no-such-app' not found");
    }

    private async Task AssertNothingStoredAsync(AppResponse app, int blobsBefore)
    {
        Assert.Equal(blobsBefore, BlobCount());
        await using var db = Host.Db();
        Assert.False(await db.Packages.AnyAsync(p => p.AppId == app.Id));
        Assert.Equal(0, TempUploads());
    }

    /// <summary>Zeros of a given length that cannot say how long they are, so HttpClient sends them chunked.</summary>
    private sealed class UnknownLengthStream(long length) : Stream
    {
        private long _left = length;
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override int Read(byte[] buffer, int offset, int count)
        {
            var n = (int)Math.Min(count, _left);
            Array.Clear(buffer, offset, n);
            _left -= n;
            return n;
        }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
