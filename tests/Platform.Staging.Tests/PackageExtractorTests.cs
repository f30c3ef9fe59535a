using Platform.Staging.Packages;

namespace Platform.Staging.Tests;

public sealed class PackageExtractorTests : IDisposable
{
    private readonly TempDir _temp = new();
    private readonly string _zip;
    private readonly string _app;

    public PackageExtractorTests()
    {
        _zip = _temp.Combine("package.zip");
        _app = Directory.CreateDirectory(_temp.Combine("app")).FullName;
    }

    public void Dispose() => _temp.Dispose();

    private Task ExtractAsync(long maxBytes = 1 << 30) =>
        PackageExtractor.ExtractAsync(_zip, _app, maxBytes, CancellationToken.None);

    [Fact]
    public async Task Files_directories_modes_and_inner_links_are_kept()
    {
        new TestZip()
            .Directory("public")
            .File("public/index.html", "<h1>hi</h1>")
            .Executable("bin/server", "#!/bin/sh\necho hi\n")
            .Symlink("current", "public/index.html")
            .Symlink("public/up", "../bin/server")
            .WriteTo(_zip);

        await ExtractAsync();

        Assert.Equal("<h1>hi</h1>", await File.ReadAllTextAsync(Path.Combine(_app, "public", "index.html")));
        var serverMode = File.GetUnixFileMode(Path.Combine(_app, "bin", "server"));
        Assert.True(serverMode.HasFlag(UnixFileMode.UserExecute), $"bin/server lost its execute bit: {serverMode}");
        Assert.False(File.GetUnixFileMode(Path.Combine(_app, "public", "index.html")).HasFlag(UnixFileMode.UserExecute));
        Assert.Equal("public/index.html", new FileInfo(Path.Combine(_app, "current")).LinkTarget);
        Assert.Equal("#!/bin/sh\necho hi\n", await File.ReadAllTextAsync(Path.Combine(_app, "public", "up")));
    }

    [Theory]
    [InlineData("../evil")]
    [InlineData("a/../../evil")]
    [InlineData("..\\evil")]
    [InlineData("/etc/evil")]
    [InlineData("C:/evil")]
    public async Task Entries_that_leave_the_app_directory_are_rejected(string name)
    {
        new TestZip().File("index.html", "ok").File(name, "pwned").WriteTo(_zip);

        var e = await Assert.ThrowsAsync<StagingFailedException>(() => ExtractAsync());

        Assert.Contains("rejected", e.Message);
        Assert.Contains(name, e.Message);
        Assert.False(File.Exists(_temp.Combine("evil")));
    }

    [Theory]
    [InlineData("/etc/passwd")]
    [InlineData("../../outside")]
    [InlineData("a/../../outside")]
    [InlineData("a/../inside")] // harmless only if 'a' is no link: refused rather than resolved
    [InlineData("../a/../../x")]
    public async Task Symbolic_links_that_point_outside_the_app_are_rejected(string target)
    {
        new TestZip().File("index.html", "ok").Symlink("sub/link", target).WriteTo(_zip);

        var e = await Assert.ThrowsAsync<StagingFailedException>(() => ExtractAsync());

        Assert.Contains("symbolic link", e.Message);
        Assert.False(File.Exists(Path.Combine(_app, "sub", "link")) || Directory.Exists(Path.Combine(_app, "sub", "link")));
    }

    [Fact]
    public async Task A_link_inside_a_directory_reached_through_another_link_is_rejected()
    {
        // x/l points at the app root; x/l/m looks two levels deep but would really sit at the root, where
        // "../../etc" climbs out.
        new TestZip().Symlink("x/l", "..").Symlink("x/l/m", "../../etc").WriteTo(_zip);

        var e = await Assert.ThrowsAsync<StagingFailedException>(() => ExtractAsync());

        Assert.Contains("through a symbolic link", e.Message);
        Assert.False(File.Exists(Path.Combine(_app, "m")) || new FileInfo(Path.Combine(_app, "m")).LinkTarget is not null);
    }

    [Fact]
    public async Task A_link_and_a_file_of_the_same_name_are_rejected()
    {
        // Written in this order, a naive extractor would write through the link.
        new TestZip().Symlink("d", "sub").File("d/x", "through the link").WriteTo(_zip);

        var e = await Assert.ThrowsAsync<StagingFailedException>(() => ExtractAsync());

        Assert.Contains("twice", e.Message);
    }

    [Fact]
    public async Task A_package_larger_than_the_disk_quota_is_rejected()
    {
        new TestZip().File("big.txt", new string('x', 10_000)).WriteTo(_zip);

        var e = await Assert.ThrowsAsync<StagingFailedException>(() => ExtractAsync(maxBytes: 1_000));

        Assert.Contains("disk quota", e.Message);
    }

    [Fact]
    public async Task A_file_that_is_not_a_zip_is_rejected()
    {
        await File.WriteAllTextAsync(_zip, "this is not a zip");

        var e = await Assert.ThrowsAsync<StagingFailedException>(() => ExtractAsync());

        Assert.Contains("not a valid zip", e.Message);
    }
}
