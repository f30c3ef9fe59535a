using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;
using Platform.Api.Packages;
using Platform.Blobstore;
using Platform.Cli.Packaging;
using Platform.Contracts.Api;

namespace Platform.Cli.Tests;

/// <summary>
/// plat's resource list of an app's files, and the package the API writes from it: what push hashes, what it sends,
/// and that the package is the same whether the platform had none, some or all of the contents.
/// </summary>
public sealed class AppBitsTests
{
    private static string MakeTree()
    {
        var root = Directory.CreateTempSubdirectory("plat-bits-").FullName;
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
        File.WriteAllText(Path.Combine(root, "public", "copy.html"), "<h1>hi</h1>"); // same content as index.html
        File.CreateSymbolicLink(Path.Combine(root, "current"), "public/css");
        File.CreateSymbolicLink(Path.Combine(root, "public", "home.html"), "../index.html");
        return root;
    }

    private static string Sha(string text) => "sha256:" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));

    [Fact]
    public void Files_directories_modes_and_symlinks_are_listed_in_order_without_vcs_directories()
    {
        using var bits = AppBits.FromDirectory(MakeTree());
        var e = bits.Resources.ToDictionary(r => r.Path);
        Assert.Equal(
            ["bin/", "bin/run", "current", "empty/", "index.html", "public/", "public/copy.html", "public/css/", "public/css/deep/", "public/css/deep/site.css", "public/home.html"],
            bits.Resources.Select(r => r.Path));
        Assert.Equal(Convert.ToInt32("100755", 8), e["bin/run"].Mode);
        Assert.Equal(Convert.ToInt32("100640", 8), e["public/css/deep/site.css"].Mode);
        Assert.Equal(PackageResources.Directory, e["empty/"].Mode & PackageResources.TypeMask);
        Assert.Null(e["empty/"].Digest);
        Assert.Equal((Sha("body{}"), 6L), (e["public/css/deep/site.css"].Digest, e["public/css/deep/site.css"].Size));
        // A symlink is listed with its target as content; the target is not followed.
        Assert.Equal(PackageResources.Symlink, e["current"].Mode & PackageResources.TypeMask);
        Assert.Equal(Sha("public/css"), e["current"].Digest);
        Assert.Equal(Sha("../index.html"), e["public/home.html"].Digest);
        Assert.Equal(e["index.html"].Digest, e["public/copy.html"].Digest);
        Assert.Equal(6, bits.Files);
    }

    [Fact]
    public void Equal_trees_have_equal_fingerprints_and_a_changed_file_changes_it()
    {
        var a = MakeTree();
        var b = MakeTree();
        File.SetLastWriteTimeUtc(Path.Combine(b, "index.html"), new DateTime(2001, 2, 3, 4, 5, 6, DateTimeKind.Utc)); // mtimes do not count
        string fa, fb;
        using (var x = AppBits.FromDirectory(a)) fa = x.Fingerprint;
        using (var y = AppBits.FromDirectory(b)) fb = y.Fingerprint;
        Assert.Equal(fa, fb);
        File.AppendAllText(Path.Combine(b, "index.html"), "!");
        using var changed = AppBits.FromDirectory(b);
        Assert.NotEqual(fa, changed.Fingerprint);
        File.SetUnixFileMode(Path.Combine(a, "index.html"), (UnixFileMode)Convert.ToInt32("600", 8));
        using var chmodded = AppBits.FromDirectory(a);
        Assert.NotEqual(fa, chmodded.Fingerprint); // a mode is part of the package
    }

    [Fact]
    public async Task The_package_is_the_same_bytes_whether_none_some_or_all_contents_were_matched()
    {
        using var bits = AppBits.FromDirectory(MakeTree());
        var store = new DirectoryBlobStore(Directory.CreateTempSubdirectory("plat-bits-store-").FullName);
        var files = bits.Resources.Where(r => !r.IsDirectory).DistinctBy(r => r.Digest).ToList();

        async Task<(string Digest, string Zip)> AssembleAsync(IReadOnlyList<PackageResource> sent)
        {
            var work = Directory.CreateTempSubdirectory("plat-bits-work-").FullName;
            var bitsZip = Path.Combine(work, "bits.zip");
            await using (var f = File.Create(bitsZip)) bits.WriteBits(sent, f);
            var contents = Directory.CreateDirectory(Path.Combine(work, "contents")).FullName;
            var zip = Path.Combine(work, "package.zip");
            var result = await new PackageAssembler(store).AssembleAsync(bits.Resources, bitsZip,
                d => store.ExistsAsync(d, CancellationToken.None).Result, contents, zip, CancellationToken.None);
            Assert.Null(result.Error);
            foreach (var u in result.Uploaded) await store.PutFileAsync(u.File, CancellationToken.None);
            return ("sha256:" + Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(zip))), zip);
        }

        var all = await AssembleAsync(files);                 // nothing matched
        var some = await AssembleAsync(files.Take(2).ToList()); // the rest from the store
        var none = await AssembleAsync([]);                     // everything matched
        Assert.Equal(all.Digest, some.Digest);
        Assert.Equal(all.Digest, none.Digest);
        Assert.Null(await ArchiveValidator.ValidateAsync(none.Zip, CancellationToken.None));

        using var zip = ZipFile.OpenRead(none.Zip);
        Assert.Equal(bits.Resources.Select(r => r.Path), zip.Entries.Select(x => x.FullName));
        var run = zip.GetEntry("bin/run")!;
        Assert.Equal(Convert.ToInt32("100755", 8), PackageResources.ModeOf(run.ExternalAttributes));
        using (var r = new StreamReader(zip.GetEntry("public/home.html")!.Open())) Assert.Equal("../index.html", r.ReadToEnd());
        using (var r = new StreamReader(run.Open())) Assert.Equal("#!/bin/sh\necho hi\n", r.ReadToEnd());
    }

    [Fact]
    public async Task Contents_that_do_not_match_their_digest_or_are_missing_are_refused()
    {
        using var bits = AppBits.FromDirectory(MakeTree());
        var store = new DirectoryBlobStore(Directory.CreateTempSubdirectory("plat-bits-store-").FullName);
        var work = Directory.CreateTempSubdirectory("plat-bits-work-").FullName;
        var lying = Path.Combine(work, "lying.zip");
        using (var zip = ZipFile.Open(lying, ZipArchiveMode.Create))
            using (var w = new StreamWriter(zip.CreateEntry("index.html").Open())) w.Write("something else");
        var assembler = new PackageAssembler(store);
        var wrong = await assembler.AssembleAsync(bits.Resources, lying, _ => true, Directory.CreateDirectory(Path.Combine(work, "a")).FullName,
            Path.Combine(work, "a.zip"), CancellationToken.None);
        Assert.StartsWith("the content sent for 'index.html' is sha256:", wrong.Error);
        var missing = await assembler.AssembleAsync(bits.Resources, null, _ => false, Directory.CreateDirectory(Path.Combine(work, "b")).FullName,
            Path.Combine(work, "b.zip"), CancellationToken.None);
        Assert.StartsWith("the upload has no content for 'bin/run'", missing.Error);
    }

    [Fact]
    public void An_archive_is_read_entry_by_entry()
    {
        var war = Path.Combine(Directory.CreateTempSubdirectory("plat-war-").FullName, "app.war");
        using (var zip = ZipFile.Open(war, ZipArchiveMode.Create))
        {
            zip.CreateEntry("WEB-INF/");
            var web = zip.CreateEntry("WEB-INF/web.xml");
            web.ExternalAttributes = (PackageResources.RegularFile | Convert.ToInt32("644", 8)) << 16;
            using (var w = new StreamWriter(web.Open())) w.Write("<web-app/>");
            var jsp = zip.CreateEntry("index.jsp");
            jsp.ExternalAttributes = 0; // no unix mode, as jar tools write
            using (var w = new StreamWriter(jsp.Open())) w.Write("hi");
        }
        using var bits = AppBits.FromArchive(war);
        Assert.Equal(["WEB-INF/", "WEB-INF/web.xml", "index.jsp"], bits.Resources.Select(r => r.Path));
        Assert.Equal(Convert.ToInt32("100644", 8), bits.Resources[1].Mode);
        Assert.Equal((0, Sha("hi"), 2L), (bits.Resources[2].Mode, bits.Resources[2].Digest, bits.Resources[2].Size));
    }

    [Fact]
    public void A_missing_directory_or_a_broken_archive_is_a_clear_error()
    {
        Assert.Contains("not a directory", Assert.Throws<CliException>(() => AppBits.FromDirectory("/no/such/dir")).Message);
        var broken = Path.GetTempFileName();
        File.WriteAllText(broken, "not a zip");
        Assert.Contains("is not a valid zip archive", Assert.Throws<CliException>(() => AppBits.FromArchive(broken)).Message);
    }
}
