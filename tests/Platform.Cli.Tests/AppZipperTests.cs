using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;
using Platform.Cli.Packaging;

namespace Platform.Cli.Tests;

public sealed class AppZipperTests
{
    private static string MakeTree()
    {
        var root = Directory.CreateTempSubdirectory("plat-zip-").FullName;
        Directory.CreateDirectory(Path.Combine(root, "bin"));
        Directory.CreateDirectory(Path.Combine(root, "public", "css", "deep"));
        Directory.CreateDirectory(Path.Combine(root, "empty"));
        Directory.CreateDirectory(Path.Combine(root, ".git"));
        File.WriteAllText(Path.Combine(root, ".git", "HEAD"), "ref: refs/heads/main");
        File.WriteAllText(Path.Combine(root, "index.html"), "<h1>hi</h1>");
        File.WriteAllText(Path.Combine(root, "bin", "run"), "#!/bin/sh\necho hi\n");
        File.SetUnixFileMode(Path.Combine(root, "bin", "run"), (UnixFileMode)Convert.ToInt32("755", 8));
        File.WriteAllText(Path.Combine(root, "public", "css", "deep", "site.css"), "body{}");
        File.SetUnixFileMode(Path.Combine(root, "public", "css", "deep", "site.css"), (UnixFileMode)Convert.ToInt32("640", 8));
        File.CreateSymbolicLink(Path.Combine(root, "current"), "public/css");
        File.CreateSymbolicLink(Path.Combine(root, "public", "home.html"), "../index.html");
        return root;
    }

    private static Dictionary<string, ZipArchiveEntry> Entries(ZipArchive zip) => zip.Entries.ToDictionary(e => e.FullName);
    private static int Mode(ZipArchiveEntry e) => (e.ExternalAttributes >> 16) & 0xFFFF;

    [Fact]
    public void Files_directories_modes_and_symlinks_are_kept()
    {
        var root = MakeTree();
        var zipPath = Path.GetTempFileName();
        AppZipper.Zip(root, zipPath);
        using var zip = ZipFile.OpenRead(zipPath);
        var e = Entries(zip);

        Assert.Equal(Convert.ToInt32("100755", 8), Mode(e["bin/run"]));
        Assert.Equal(Convert.ToInt32("100640", 8), Mode(e["public/css/deep/site.css"]));
        Assert.Equal(Convert.ToInt32("040000", 8), Mode(e["empty/"]) & 0xF000);
        Assert.True(e.ContainsKey("public/css/deep/"));
        using (var r = new StreamReader(e["public/css/deep/site.css"].Open())) Assert.Equal("body{}", r.ReadToEnd());

        // Symlinks are entries of type S_IFLNK whose content is the target; the target is not followed.
        Assert.Equal(0xA000, Mode(e["current"]) & 0xF000);
        using (var r = new StreamReader(e["current"].Open())) Assert.Equal("public/css", r.ReadToEnd());
        Assert.False(e.ContainsKey("current/deep/site.css"));
        using (var r = new StreamReader(e["public/home.html"].Open())) Assert.Equal("../index.html", r.ReadToEnd());

        Assert.DoesNotContain(e.Keys, k => k.StartsWith(".git"));
    }

    [Fact]
    public void Entries_are_in_ordinal_order_with_parents_first()
    {
        var zipPath = Path.GetTempFileName();
        AppZipper.Zip(MakeTree(), zipPath);
        using var zip = ZipFile.OpenRead(zipPath);
        Assert.Equal(
            ["bin/", "bin/run", "current", "empty/", "index.html", "public/", "public/css/", "public/css/deep/", "public/css/deep/site.css", "public/home.html"],
            zip.Entries.Select(x => x.FullName));
    }

    [Fact]
    public void Zipping_equal_trees_gives_equal_bytes()
    {
        var a = MakeTree();
        Thread.Sleep(1100); // different mtimes on the second tree must not matter
        var b = MakeTree();
        var za = Path.GetTempFileName();
        var zb = Path.GetTempFileName();
        AppZipper.Zip(a, za);
        AppZipper.Zip(b, zb);
        Assert.Equal(SHA256.HashData(File.ReadAllBytes(za)), SHA256.HashData(File.ReadAllBytes(zb)));

        File.AppendAllText(Path.Combine(b, "index.html"), "!");
        AppZipper.Zip(b, zb);
        Assert.NotEqual(SHA256.HashData(File.ReadAllBytes(za)), SHA256.HashData(File.ReadAllBytes(zb)));
    }

    [Fact]
    public async Task The_zip_passes_the_apis_archive_validation()
    {
        var zipPath = Path.GetTempFileName();
        AppZipper.Zip(MakeTree(), zipPath);
        Assert.Null(await Platform.Api.Packages.ArchiveValidator.ValidateAsync(zipPath, CancellationToken.None));
    }

    [Fact]
    public void A_missing_directory_is_a_clear_error()
    {
        var e = Assert.Throws<CliException>(() => AppZipper.Zip("/no/such/dir", Path.GetTempFileName()));
        Assert.Contains("not a directory", e.Message);
    }
}
